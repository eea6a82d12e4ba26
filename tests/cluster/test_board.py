"""The live class board, end to end: `labcheck class watch` grading real namespace labs over
SSH, its page in Debian's headless Chromium, and a student's fix showing up without a reload.

Also: what a student controls (the inventory's file name, a node's messages) reaches the
page as text, never as markup; the page asks nothing of any other origin (works offline).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import ROOT, Lab

pytestmark = [pytest.mark.cluster, pytest.mark.browser]
playwright_sync = pytest.importorskip("playwright.sync_api", reason="playwright não instalado")
CHROMIUM = os.environ.get("LABCHECK_CHROMIUM", "/usr/bin/chromium")
if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(f"Chromium não encontrado em {CHROMIUM}", allow_module_level=True)

HOSTILE = "<img src=x onerror=window.pwned=1>"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu",
                                          "--disable-background-networking"])
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, url: str, **options):
    """A page that may only talk to the board; anything else is recorded and refused."""
    context = browser.new_context(**options)
    foreign: list[str] = []
    board = urlparse(url).netloc

    def route(r) -> None:
        if urlparse(r.request.url).netloc == board or r.request.url.startswith("data:"):
            r.continue_()
        else:
            foreign.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    return context, page, foreign, dialogs


class Watch:
    """`labcheck class watch` as an instructor runs it, on a free port."""

    def __init__(self, folder: Path, known: Path, db: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "checker", "class", "watch", "exercise2", "--inventories",
             str(folder), "--every", "5", "--port", "0", "--db", str(db), "--timeout", "15",
             "--jobs", "3"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "LABCHECK_KNOWN_HOSTS": str(known)})
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(
            self.process.stdout.readline() for _ in range(3)), daemon=True)
        reader.start()
        reader.join(timeout=30)
        match = re.search(r"http://\S+", "".join(lines))
        assert match, f"sem URL do quadro: {lines!r} {self.process.poll()}"
        self.url = match.group(0)

    def stop(self) -> tuple[int, str, str]:
        self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=60)
        return self.process.returncode, out, err


@pytest.fixture
def classroom(clean_lab: Lab, tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "turma"
    folder.mkdir()
    (folder / "ana.yaml").write_text(clean_lab.inventory.read_text())
    down = clean_lab.inventory.read_text().replace(clean_lab.address("node2") + "}",
                                                   f"{clean_lab.subnet}.99}}")
    (folder / "carla.yaml").write_text(down)
    (folder / f"{HOSTILE}.yaml").write_text(down)
    return folder, clean_lab.known_hosts


def cell(page, student: str, step: str):
    return page.locator(f'tr[data-student="{student}"] td[data-step="{step}"] .cell')


def test_a_fix_turns_the_cell_green_without_a_reload(browser, classroom, clean_lab: Lab,
                                                     tmp_path: Path):
    folder, known = classroom
    db = tmp_path / "historico.sqlite3"
    watch = Watch(folder, known, db)
    try:
        context, page, foreign, dialogs = open_page(browser, watch.url,
                                                    viewport={"width": 1280, "height": 900})
        page.wait_for_selector('tr[data-student="ana"][data-status="failed"]', timeout=60_000)
        assert "fail" in cell(page, "ana", "remoted-running").get_attribute("class")
        page.evaluate("window.__sameDocument = true")
        # the stuck summary points at the step ana is blocked on
        assert page.locator('#steps li[data-step="remoted-running"] .stuck').count() == 1

        clean_lab.nslab("remote-start")  # the student starts pacemaker-remoted on node3
        page.wait_for_selector('tr[data-student="ana"] td[data-step="remoted-running"] .cell.pass',
                               timeout=90_000)
        assert page.evaluate("window.__sameDocument") is True  # no reload happened

        # unreachable labs say so, on every step that needed the missing node
        assert page.locator('tr[data-student="carla"]').get_attribute("data-status") == \
            "unreachable"
        assert "inacessível" in page.locator('tr[data-student="carla"] td.student').inner_text()

        # the hostile file name is shown as the text it is
        names = page.locator("td.student button").all_inner_texts()
        assert HOSTILE in names
        assert page.evaluate("window.pwned") is None and dialogs == []

        # ana's report, with the hints, on click; the first pass of step 2 is there
        page.click('button[data-student="ana"]')
        detail = page.locator("#detail")
        detail.locator('li[data-step="remoted-running"] .when').wait_for(timeout=15_000)
        assert "Dica:" in detail.inner_text()
        assert foreign == []
        context.close()

        # a phone: the page fits the width, the matrix scrolls inside its own box
        context, page, foreign, _ = open_page(browser, watch.url,
                                              viewport={"width": 390, "height": 800},
                                              is_mobile=True, has_touch=True)
        page.wait_for_selector('tr[data-student="ana"]', timeout=30_000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shots = ROOT / "tests" / "artifacts" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "quadro-turma-celular.png"), full_page=True)
        context.close()
    finally:
        code, out, err = watch.stop()
    assert code == 0 and "Traceback" not in err, err
    assert "Quadro parado" in out

    # the history the board read is the one `class history` prints
    history = subprocess.run([sys.executable, "-m", "checker", "class", "history", "exercise2",
                              "--db", str(db)], capture_output=True, text=True, cwd=ROOT,
                             timeout=60)
    ana = next(line for line in history.stdout.splitlines() if line.startswith("ana "))
    assert re.search(r"\d\d:\d\d\s+\d\d:\d\d", ana), history.stdout  # steps 1 and 2 passed


def test_the_board_is_local_and_read_only(classroom, tmp_path: Path):
    import urllib.error
    import urllib.request

    folder, known = classroom
    watch = Watch(folder, known, tmp_path / "h.sqlite3")
    try:
        assert urlparse(watch.url).hostname == "127.0.0.1"
        for method in ("POST", "PUT", "DELETE"):
            request = urllib.request.Request(watch.url + "api/board", method=method, data=b"x")
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            assert refused.value.code == 405
        # DNS rebinding: a page from another name that resolves here gets nothing
        request = urllib.request.Request(watch.url + "api/board",
                                         headers={"Host": "evil.example:80"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 400
        with urllib.request.urlopen(watch.url, timeout=10) as page:
            policy = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    finally:
        watch.stop()


def test_a_busy_port_is_a_clear_message(classroom, tmp_path: Path):
    import socket

    folder, known = classroom
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "checker", "class", "watch", "exercise2", "--inventories",
             str(folder), "--port", str(taken.getsockname()[1]), "--db",
             str(tmp_path / "h.sqlite3")],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
            env={**os.environ, "LABCHECK_KNOWN_HOSTS": str(known)})
    finally:
        taken.close()
    assert run.returncode == 2 and "já está em uso" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_student_records_an_attempt_in_the_history(clean_lab: Lab, tmp_path: Path):
    from checker.history import History

    db = tmp_path / "h.sqlite3"
    graded = clean_lab.labcheck("exercise2", "--record", str(db), "--student", "ana")
    assert graded.code == 1 and graded.json["exercise"] == "exercise2"
    graded = clean_lab.labcheck("exercise2", "--record", str(db))  # named after the inventory
    with History(db) as history:
        labs = history.summaries("exercise2")
    assert set(labs) == {"ana", "inventory"}
    assert labs["ana"].latest.origin == "student" and labs["ana"].latest.scale == 100
    # a file that is not a history: the report is still printed, then a clear error
    bad = tmp_path / "notas.txt"
    bad.write_text("não é SQLite\n" * 100)
    graded = clean_lab.labcheck("exercise2", "--record", str(bad))
    assert graded.code == 2 and graded.json["exercise"] == "exercise2"
    assert "Não foi possível abrir o histórico" in graded.stderr


def test_what_a_node_sent_is_shown_as_text(browser, tmp_path: Path):
    """A message built from a node's text (an agent's exit-reason, a resource's description)
    with markup in it, served by the real app: it reaches the page as text."""
    import socket

    import uvicorn

    from checker.board import allowed_hosts_for, create_app
    from checker.history import History
    from checker.watch import RoundState
    from tests.unit.classdata import EXERCISE2, report

    db = tmp_path / "h.sqlite3"
    with History(db) as history:
        history.record(EXERCISE2, "ana", "watch", "failed",
                       report(passed=1, messages={"remoted-running": HOSTILE + "<script>"
                                                  "window.pwned=2</script>"}))
    app = create_app(EXERCISE2, db, lambda: ("ana",), lambda: RoundState(number=1, total=1),
                     allowed_hosts_for("127.0.0.1"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/#aluno=ana"
        context, page, foreign, dialogs = open_page(browser, url)
        item = page.locator('#detail-steps li[data-step="remoted-running"] .msg')
        item.wait_for(timeout=15_000)
        assert item.inner_text() == HOSTILE + "<script>window.pwned=2</script>"
        assert page.locator("#detail img, #detail script").count() == 0
        assert page.evaluate("window.pwned") is None and dialogs == [] and foreign == []
        context.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
