"""The built course site in Debian's headless Chromium, served from 127.0.0.1 only.

Every request that is not for the local server is aborted and recorded, so these tests
also prove the site works offline (no CDN for fonts, Mermaid or anything else).
Screenshots of the main pages go to tests/artifacts/screenshots/ for a human to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

playwright_sync = pytest.importorskip("playwright.sync_api", reason="playwright não instalado")

CHROMIUM = os.environ.get("LABCHECK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"

# Material renders each Mermaid diagram into a *closed* shadow root, which no selector can
# reach. For the test only, shadow roots are opened so the rendered <svg> can be found.
OPEN_SHADOW_ROOTS = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  return attach.call(this, Object.assign({}, init, { mode: "open" }));
};
"""

if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(f"Chromium não encontrado em {CHROMIUM} (apt install chromium)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class Session:
    """A browser context that only reaches the local server and records anything else."""

    def __init__(self, browser, base_url: str, **context_options) -> None:
        self.base_url = base_url
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, **context_options
        )
        self.context.add_init_script(OPEN_SHADOW_ROOTS)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _route(self, route) -> None:
        url = route.request.url
        host = urlparse(url).hostname
        if host == "127.0.0.1" or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def goto(self, path: str):
        self.page.goto(f"{self.base_url}/{path}", wait_until="networkidle")
        return self.page

    def close(self) -> None:
        self.context.close()
        assert not self.blocked, f"o site tentou acessar a rede: {self.blocked}"
        assert not self.errors, f"erros de JavaScript: {self.errors}"


@pytest.fixture
def session(browser, site_url: str) -> Iterator[Session]:
    s = Session(browser, site_url)
    yield s
    s.close()


def shot(page, name: str, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if full_page:  # from the top, or the fixed header is drawn mid-page
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "licoes/7.1-virtualdomain/",
        "licoes/7.2-pacemaker-remote/",
        "licoes/7.3-integracoes/agentes-ocf/",
        "exercicios/exercicio-3/",
        "exercicios/exercicio-4/",
        "exercicios/exercicio-5/",
        "glossario/",
        "cadernos/exercicio2/",
    ],
)
def test_pages_declare_pt_br(session: Session, path: str) -> None:
    page = session.goto(path)
    assert page.locator("html").get_attribute("lang") == "pt-BR"


def test_exercises_4_and_5_render_their_diagram_solution_and_notebook(session: Session) -> None:
    page = session.goto("exercicios/exercicio-5/")
    page.locator("div.mermaid svg").first.wait_for(state="attached", timeout=20_000)
    assert "lb_vip" in (page.locator("div.mermaid svg").first.text_content() or "")
    solution = page.locator("details.success")
    solution.locator("summary").click()
    assert "systemctl disable --now apache2 haproxy" in solution.inner_text()
    assert "Resultado: 100/100 pontos" in page.locator("body").inner_text()
    shot(page, "exercicio-5-solucao")
    page = session.goto("exercicios/exercicio-4/")
    assert "Resultado: 110/110 pontos" in page.locator("body").inner_text()
    for n in (4, 5):
        page = session.goto(f"cadernos/exercicio{n}/")
        assert page.get_by_text(f"%labcheck exercise{n}").count() >= 1


def test_search_finds_virtualdomain(session: Session) -> None:
    page = session.goto("")
    search = page.locator("input.md-search__input")
    search.click()
    # Material searches on key events, so type the query instead of filling the field.
    search.press_sequentially("VirtualDomain", delay=20)
    result = page.locator(".md-search-result__item").first
    result.wait_for(state="visible", timeout=15_000)
    assert "VirtualDomain" in page.locator(".md-search-result__list").inner_text()
    shot(page, "busca-virtualdomain", full_page=False)


def test_quiz_gives_immediate_feedback(session: Session) -> None:
    page = session.goto("licoes/7.1-virtualdomain/")
    question = page.locator("[data-quiz-question]").first
    feedback = question.locator(".quiz__feedback")
    assert feedback.get_attribute("aria-live") == "polite"

    wrong = question.locator(".quiz__option[data-correct='false']").first
    wrong.click()
    assert feedback.inner_text().startswith("✘ Incorreto.")
    assert wrong.get_attribute("aria-pressed") == "true"

    right = question.locator(".quiz__option[data-correct='true']")
    right.click()
    assert feedback.inner_text().startswith("✔ Correto!")
    assert "config" in feedback.inner_text()
    assert wrong.get_attribute("aria-pressed") == "false"
    question.scroll_into_view_if_needed()
    shot(page, "quiz-7.1", full_page=False)


def test_quiz_works_after_instant_navigation(session: Session) -> None:
    """Material's instant navigation swaps pages without reloading scripts."""
    page = session.goto("")
    page.locator("article a[href$='7.2-pacemaker-remote/']").first.click()
    page.wait_for_url("**/7.2-pacemaker-remote/")
    question = page.locator("[data-quiz-question]").first
    question.locator(".quiz__option[data-correct='true']").click()
    assert question.locator(".quiz__feedback").inner_text().startswith("✔ Correto!")


def test_code_blocks_have_copy_button(session: Session) -> None:
    page = session.goto("licoes/7.1-virtualdomain/")
    # Material 9.7+: the copy button lives in the code block's nav (class md-code__button).
    buttons = page.locator("button[data-clipboard-target]")
    assert buttons.count() >= 5
    assert buttons.first.get_attribute("title")  # the pt-BR "copy to clipboard" label


def test_mermaid_diagram_renders_to_svg(session: Session) -> None:
    page = session.goto("")
    svg = page.locator("div.mermaid svg").first
    svg.wait_for(state="attached", timeout=20_000)
    box = svg.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100
    assert "node3" in svg.inner_html()


def test_screenshots_of_main_pages(browser, site_url: str) -> None:
    light = Session(browser, site_url, color_scheme="light")
    try:
        page = light.goto("")
        page.locator("div.mermaid svg").first.wait_for(state="attached", timeout=20_000)
        shot(page, "index")
        shot(light.goto("licoes/7.1-virtualdomain/"), "licao-7.1")
        shot(light.goto("licoes/7.2-pacemaker-remote/"), "licao-7.2")
        page = light.goto("exercicios/exercicio-2/")
        solution = page.locator("details.success")
        solution.locator("summary").click()
        assert solution.get_attribute("open") is not None
        shot(page, "exercicio-2-solucao")
        page = light.goto("cadernos/exercicio2/")
        assert page.get_by_text("%load_ext checker.jupyter").count() >= 1
        shot(page, "caderno-2")
    finally:
        light.close()

    dark = Session(browser, site_url, color_scheme="dark")
    try:
        page = dark.goto("licoes/7.1-virtualdomain/")
        assert page.locator("body").get_attribute("data-md-color-scheme") == "slate"
        shot(page, "licao-7.1-escuro")
    finally:
        dark.close()


def test_palette_toggle_switches_to_dark(session: Session) -> None:
    page = session.goto("")
    before = page.locator("body").get_attribute("data-md-color-scheme")
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    after = page.locator("body").get_attribute("data-md-color-scheme")
    assert {before, after} == {"default", "slate"}
