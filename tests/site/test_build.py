"""The course site builds with `mkdocs build --strict`: no warning, broken link or missing snippet."""

from __future__ import annotations

import re
from pathlib import Path

from tests.site.conftest import build_site

PAGES = [
    "index.html",
    "licoes/7.1-virtualdomain/index.html",
    "licoes/7.2-pacemaker-remote/index.html",
    "licoes/7.3-integracoes/servidores-web/index.html",
    "licoes/7.3-integracoes/bancos-de-dados/index.html",
    "licoes/7.3-integracoes/balanceadores/index.html",
    "licoes/7.3-integracoes/agentes-ocf/index.html",
    "exercicios/exercicio-1/index.html",
    "exercicios/exercicio-2/index.html",
    "exercicios/exercicio-3/index.html",
    "laboratorio/index.html",
    "instrutor/index.html",
    "contribuir/index.html",
    "referencia/index.html",
    "glossario/index.html",
    "cadernos/exercicio1/index.html",
    "cadernos/exercicio2/index.html",
    "cadernos/exercicio3/index.html",
]


def test_strict_build_passes(tmp_path: Path) -> None:
    run = build_site(tmp_path / "site")
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "WARNING" not in output, output


def test_every_page_is_built_in_pt_br(built_site: Path) -> None:
    for page in [*PAGES, "404.html"]:
        html = (built_site / page).read_text(encoding="utf-8")
        assert '<html lang="pt-BR"' in html, page


def test_snippets_are_included(built_site: Path) -> None:
    agent = (built_site / "licoes/7.3-integracoes/agentes-ocf/index.html").read_text("utf-8")
    # Included from labs/agents/labapp: the section markers themselves must not leak.
    assert "ocf-shellfuncs" in agent
    assert "labapp_monitor" in agent
    assert "[start:" not in agent and "[end:" not in agent
    for n in (1, 2, 3, 4, 5):
        page = (built_site / f"exercicios/exercicio-{n}/index.html").read_text("utf-8")
        # the real grader samples (docs/samples) are on the page, with a verdict line
        assert f"labcheck · Exercício {n}" in page and "Resultado: " in page
        assert "PLACEHOLDER" not in page
        assert "[start:" not in page and "[end:" not in page


def test_site_is_self_contained(built_site: Path) -> None:
    """Nothing is loaded from a CDN: fonts are off and mermaid is served locally."""
    external = re.compile(r'<(?:script|link)[^>]+(?:src|href)="https?://', re.IGNORECASE)
    for page in PAGES:
        html = (built_site / page).read_text(encoding="utf-8")
        assert not external.search(html), page
        assert "fonts.googleapis.com" not in html, page
    assert (built_site / "javascripts/mermaid.min.js").stat().st_size > 1_000_000
    assert "javascripts/mermaid.min.js" in (built_site / "index.html").read_text("utf-8")


def test_samples_and_hooks_are_not_published(built_site: Path) -> None:
    assert not (built_site / "samples").exists()
    assert not (built_site / ".hooks").exists()
