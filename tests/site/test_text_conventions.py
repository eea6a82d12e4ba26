"""The text conventions of docs/contribuir.md hold wherever a student reads.

- The machine that runs the VMs is the "hospedeiro": no "hosts libvirt", no "Em cada
  host"; "chave de host" (SSH's host key) is the one place the word stays.
- "Confira se", never "confira que".
- A loanword of LOANWORDS is in italics the first time a page uses it in running text,
  and in roman after that. Headings, admonition titles, code, HTML (the quizzes) and
  longer italic citations (*Shoot The Other Node In The Head*) do not count.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Jargon that is not yet common Portuguese (docs/contribuir.md lists the same words):
# name -> pattern of the forms used (singular, plural).
LOANWORDS = {
    "box": r"box(?:es)?",
    "crash": r"crash(?:es)?",
    "daemon": r"daemons?",
    "failover": r"failovers?",
    "fencing": r"fencing",
    "hard": r"hard",
    "lease": r"leases?",
    "loopback": r"loopback",
    "namespace": r"namespaces?",
    "pidfile": r"pidfiles?",
    "probe": r"probes?",
    "snapshot": r"snapshots?",
    "soft": r"soft",
    "standby": r"standby",
    "stickiness": r"stickiness",
    "timeout": r"timeouts?",
    "worker": r"workers?",
    "watchdog": r"watchdogs?",
}


# Pages not held to the students' conventions: the instructor guide is written for
# instructors, with the grader; the contributor notes quote the words as words.
NOT_FOR_STUDENTS = {"docs/instrutor.md", "docs/contribuir.md"}

# Already Portuguese in practice: never in italics.
COMMON = ["backup", "boot", "cluster", "driver", "firewall", "firmware", "hardware", "kernel",
          "link", "log", "login", "script", "shell", "software", "status", "token"]
TITLE = re.compile(r"^\s*(?:#+|!!!|\?\?\?\+?|===)\s")


def markdown_pages() -> dict[str, str]:
    """Every page a student reads, as Markdown: the site's pages, the labs' READMEs and
    the notebooks' Markdown cells (one page per notebook)."""
    files = [*(ROOT / "docs").rglob("*.md"), *(ROOT / "labs").rglob("*.md"),
             ROOT / "vagrant" / "README.md"]
    pages = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in sorted(files)
             if str(p.relative_to(ROOT)) not in NOT_FOR_STUDENTS}
    for notebook in sorted((ROOT / "labs" / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        pages[str(notebook.relative_to(ROOT))] = "\n\n".join(
            "".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return pages


def grader_texts() -> dict[str, str]:
    """What the grader prints and the solutions say: the exercises' YAML, the checks'
    strings and the reference solutions (their comments are on the site)."""
    texts = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
             for p in sorted((ROOT / "labs").glob("exercise*.yaml"))}
    for path in sorted((ROOT / "checker" / "checks").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        texts[str(path.relative_to(ROOT))] = "\n".join(  # "a " "b" is one constant
            node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str))
    texts.update({str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
                  for p in sorted((ROOT / "labs" / "solutions").glob("*.sh"))})
    return texts


def running_text(markdown: str) -> str:
    """The page without what is not running text; every other line is kept (blank when
    dropped) so that an italic span cannot jump over a dropped line."""
    kept, fence = [], None
    for line in markdown.splitlines():
        stripped = line.strip()
        if fence:
            fence = None if stripped.startswith(fence) else fence
            kept.append("")
            continue
        if opening := re.match(r"(`{3,}|~{3,})", stripped):
            fence = opening.group(1)
            kept.append("")
            continue
        if TITLE.match(line) or stripped.startswith(("<", "--8<--")):
            kept.append("")
            continue
        line = re.sub(r"`[^`\n]*`", "", line)       # inline code
        line = re.sub(r"\]\([^)\n]*\)", "]", line)  # link targets
        line = line.replace("**", "")               # bold, so ***x* y** reads *x* y
        kept.append(line)
    return "\n".join(kept)


ITALIC = re.compile(r"(?<![*\w])\*(?![\s*])((?:[^*\n]|\n(?!\s*\n))+?)(?<!\s)\*(?![*\w])")


@dataclass(frozen=True)
class Use:
    word: str
    italic: bool
    line: int
    context: str  # the words around it, to find it in a notebook


def loanword_uses(markdown: str) -> list[Use]:
    """Each use of a loanword in running text, in order; uses inside a longer italic
    span (a title, an English phrase) are citations and left out."""
    text = running_text(markdown)
    spans = [(m.start(1), m.end(1)) for m in ITALIC.finditer(text)]
    uses = []
    for word, forms in LOANWORDS.items():
        for m in re.finditer(rf"(?<![\w/-]){forms}(?![\w/-])", text, re.IGNORECASE):
            span = next(((a, b) for a, b in spans if a <= m.start() and m.end() <= b), None)
            if span and span != (m.start(), m.end()):
                continue
            context = " ".join(text[max(0, m.start() - 30):m.end() + 30].split())
            uses.append(Use(word, span is not None, text.count("\n", 0, m.start()) + 1,
                            context))
    return sorted(uses, key=lambda u: u.line)


def misplaced_italics(markdown: str) -> list[str]:
    problems, seen = [], set()
    for number, line in enumerate(markdown.splitlines(), 1):
        if TITLE.match(line) and ITALIC.search(re.sub(r"`[^`]*`", "", line)):
            problems.append(f"linha {number}: título com itálico («{line.strip()}»)")
    common = re.compile(rf"(?<![*\w])\*(?:{'|'.join(COMMON)})s?\*(?![*\w])", re.IGNORECASE)
    text = running_text(markdown)
    for m in common.finditer(text):
        problems.append(f"linha {text.count(chr(10), 0, m.start()) + 1}: {m.group(0)} já é "
                        "português: sem itálico")
    for use in loanword_uses(markdown):
        first = use.word not in seen
        seen.add(use.word)
        if first and not use.italic:
            problems.append(f"linha {use.line}: primeiro '{use.word}' da página sem itálico"
                            f" («{use.context}»)")
        elif not first and use.italic:
            problems.append(f"linha {use.line}: '{use.word}' em itálico depois do primeiro uso"
                            f" («{use.context}»)")
    return problems


@pytest.mark.parametrize("page", sorted(markdown_pages()))
def test_loanwords_are_italic_on_first_use_only(page: str) -> None:
    problems = misplaced_italics(markdown_pages()[page])
    assert not problems, f"{page} (veja docs/contribuir.md):\n" + "\n".join(problems)


# What a program shows or takes goes in code, not in italics: states, operations.
PROGRAM_WORDS = re.compile(r"(?<![*\w])\*(Online|OFFLINE|Started|Stopped|FAILED|blocked|active|"
                           r"MASTER|BACKUP|start|stop|monitor)\*(?![*\w])")


@pytest.mark.parametrize("page", sorted(markdown_pages()))
def test_program_words_are_code_not_italics(page: str) -> None:
    text = re.sub(r"`[^`\n]*`", "", markdown_pages()[page])
    found = [f"linha {text.count(chr(10), 0, m.start()) + 1}: *{m.group(1)}* → `{m.group(1)}`"
             for m in PROGRAM_WORDS.finditer(text)]
    assert not found, f"{page}:\n" + "\n".join(found)


FORBIDDEN = [
    (re.compile(r"\bhosts? (?:do )?libvirt\b", re.IGNORECASE), "hospedeiro(s) libvirt"),
    # "chave de host" (SSH's host key) is the one use of the word that stays
    (re.compile(r"\b(?:em cada|nos dois|dos dois|entre os|outro) hosts?\b"
                r"|(?<!chave )(?<!chaves )\bde hosts?\b", re.IGNORECASE),
     "hospedeiro (ou nó)"),
    (re.compile(r"\bconfir[ae] que\b", re.IGNORECASE), "confira se"),
]


@pytest.mark.parametrize("source", ["páginas", "corretor"])
def test_words_the_conventions_replace(source: str) -> None:
    texts = markdown_pages() if source == "páginas" else grader_texts()
    found = [f"{name}:{text.count(chr(10), 0, m.start()) + 1}: '{m.group(0)}' → {instead}"
             for name, text in texts.items() for pattern, instead in FORBIDDEN
             for m in pattern.finditer(text)]
    assert not found, "\n".join(found)


def test_the_lists_agree_with_the_contributor_notes() -> None:
    notes = (ROOT / "docs" / "contribuir.md").read_text(encoding="utf-8")
    listed = re.search(r"<!-- estrangeirismos -->\n(.+?)\n<!-- /estrangeirismos -->", notes,
                       re.DOTALL)
    assert listed, "docs/contribuir.md perdeu a lista de estrangeirismos"
    assert re.findall(r"\*(\w+)\*", listed.group(1)) == sorted(LOANWORDS)


def test_the_italics_rule_is_checked() -> None:
    assert [p.split(" («")[0] for p in misplaced_italics("Sem fencing, o *fencing* falha.")] == [
        "linha 1: primeiro 'fencing' da página sem itálico",
        "linha 1: 'fencing' em itálico depois do primeiro uso"]
    assert misplaced_italics("# Fencing\n\nO *fencing* e o `fencing` e o fencing.") == []
    assert misplaced_italics("## O *fencing*\n\nO *fencing*.")[0].startswith("linha 1: título")
    assert misplaced_italics("Um *cluster*.") == ["linha 1: *cluster* já é português: sem itálico"]
    assert misplaced_italics("*Shoot The Other Node* com *timeouts*; um timeout.") == []
