"""The shell commands the site and the notebooks show, and the proof that each one runs.

A command is proven in one of four ways:

- **executed**: a test ran it on the namespace lab (or ran the script it comes from) in
  this session. Tests say so through `record_executed`.
- **pcs -f**: tests/site/test_commands.py ran it on a file CIB.
- **Vagrant**: `make e2e` ran it on the Vagrant lab and wrote it to `RECORD`
  (labs/e2e-record.json, committed). A block there counts only while its text is the
  same as when it ran: the record keeps each block's SHA-256.
- **marked**: the page says, on the code block, that it is not run here and why
  (```` ```bash title="Não executado aqui: RHEL" ````).

Blocks that `make e2e` runs carry an HTML comment right above the fence, invisible on the
site: `<!-- vagrant: node1 node2 -->` (the nodes it runs on, in that order).

This module is also what make e2e calls to run those blocks:
`python -m tests.site.pagecommands vagrant PAGE --ssh-config-dir DIR` (DIR holds
`ssh-config.NODE`, from `vagrant ssh-config NODE`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
NOTEBOOKS = ROOT / "labs" / "notebooks"
RECORD = ROOT / "labs" / "e2e-record.json"

NOT_RUN_TITLE = "Não executado aqui"
_FENCE = re.compile(r"^(?P<indent>\s*)```\s*(?P<info>.*)$")
_VAGRANT_MARK = re.compile(r"^\s*<!--\s*vagrant:\s*(?P<nodes>[\w\s-]+?)\s*-->\s*$")
_TITLE = re.compile(r'title="(?P<title>[^"]*)"')
_SNIPPET = re.compile(r'^\s*--8<--\s+"(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"\s*$')
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(?P<word>\w+)\1")
_NODE_MAGIC = re.compile(r"^%%node\s+(?P<args>.*)$")


@dataclass(frozen=True)
class Block:
    """A shell block as the reader sees it (snippets expanded)."""

    source: str                 # repo-relative page or notebook
    line: int                   # fence line on a page, cell number in a notebook
    text: str
    origin: str | None = None   # repo-relative file a snippet-only block comes from
    sections: tuple[str, ...] = ()  # the sections of that file it shows
    vagrant_nodes: tuple[str, ...] = ()
    not_run: str | None = None  # the page's reason, from the fence title
    lab: str | None = None      # notebook cells: "vagrant" / "nslab" / None (both)
    on_host: bool = False       # a notebook's "# !cmd" lines: run on the student's machine

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"

    def commands(self) -> list[str]:
        return shell_commands(self.text)


def _balanced(line: str) -> bool:
    try:
        shlex.split(line, comments=True)
    except ValueError:  # "No closing quotation": the command goes on in the next line
        return False
    return True


def shell_commands(text: str, heredoc_bodies: bool = False) -> list[str]:
    """Logical command lines: continuations and multi-line quotes joined, comments left
    out, and heredoc bodies too unless they are scripts another shell runs (the solutions'
    `on node1 <<'SH'`)."""
    commands, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        i += 1
        while i < len(lines) and (line.endswith("\\") or not _balanced(line)):
            line = (line[:-1].rstrip() + " " if line.endswith("\\") else line + "\n") + lines[i].strip()
            i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        heredoc = _HEREDOC.search(stripped)
        if heredoc and not heredoc_bodies:
            while i < len(lines) and lines[i].strip() != heredoc.group("word"):
                i += 1
            i += 1
        commands.append(re.sub(r"\s+#\s.*$", "", stripped))
    return commands


def file_commands(path: Path) -> set[str]:
    """The command lines of a script, or of a notebook's cells, as shell_commands sees them."""
    if path.suffix == ".ipynb":
        return {c for b in notebook_blocks(path) for c in b.commands()}
    return set(shell_commands(path.read_text(encoding="utf-8"), heredoc_bodies=True))


def snippet_text(path: str, section: str | None) -> str:
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    if section is None:
        return "\n".join(lines)
    start = next(i for i, line in enumerate(lines) if f"[start:{section}]" in line)
    end = next(i for i, line in enumerate(lines) if f"[end:{section}]" in line)
    return "\n".join(lines[start + 1:end])


_KIND_IF = re.compile(r"^\s*if \[\[ \$LAB_KIND == (vagrant|nslab) \]\]")
_ONLY_VAGRANT_FROM_HERE = re.compile(r"^\[\[ \$LAB_KIND == vagrant \]\] \|\| exit 0")


def section_lab(path: str, section: str) -> str | None:
    """Which lab a section of a solution script runs on ("vagrant", "nslab"), or None for
    both: the script's `if [[ $LAB_KIND == ... ]]` branches around it, heredocs skipped."""
    stack: list[str | None] = []
    lines, i = (ROOT / path).read_text(encoding="utf-8").splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if f"[start:{section}]" in line:
            return next((kind for kind in reversed(stack) if kind), None)
        kind_if = _KIND_IF.match(line)
        if kind_if:
            stack.append(kind_if.group(1))
        elif re.match(r"^\s*if\b", line):
            stack.append(None)
        elif re.match(r"^\s*(else|elif)\b", line) and stack:
            stack[-1] = {"vagrant": "nslab", "nslab": "vagrant"}.get(stack[-1] or "") \
                if line.strip() == "else" else None
        elif re.match(r"^\s*fi\b", line) and stack:
            stack.pop()
        elif _ONLY_VAGRANT_FROM_HERE.match(line):
            stack.append("vagrant")
        heredoc = _HEREDOC.search(line)
        if heredoc:  # the body is another shell's script: its sections count, its ifs don't
            i += 1
            while i < len(lines) and lines[i].strip() != heredoc.group("word"):
                if f"[start:{section}]" in lines[i]:
                    return next((kind for kind in reversed(stack) if kind), None)
                i += 1
        i += 1
    raise ValueError(f"{path}: seção {section!r} não encontrada")


def page_blocks(page: Path) -> list[Block]:
    """The ```bash fences of a Markdown page, at any indentation (tabs, admonitions)."""
    blocks, lines, i = [], page.read_text(encoding="utf-8").splitlines(), 0
    source = str(page.relative_to(ROOT))
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence or not re.match(r"bash\b", fence.group("info")):
            i += 1
            continue
        indent, start = fence.group("indent"), i
        title = _TITLE.search(fence.group("info"))
        mark = _VAGRANT_MARK.match(lines[i - 1]) if i else None
        body, origins, sections = [], set(), []
        i += 1
        while i < len(lines) and lines[i].rstrip() != f"{indent}```":
            raw = lines[i][len(indent):]
            snippet = _SNIPPET.match(raw)
            if snippet:
                origins.add(snippet.group("path"))
                sections.append(snippet.group("section") or "")
                body.append(snippet_text(snippet.group("path"), snippet.group("section")))
            else:
                origins.add("")
                body.append(raw)
            i += 1
        i += 1
        not_run = None
        if title and title.group("title").startswith(NOT_RUN_TITLE):
            not_run = title.group("title").removeprefix(NOT_RUN_TITLE).lstrip(":— ").strip()
        origin = origins.pop() if len(origins) == 1 and "" not in origins else None
        blocks.append(Block(source, start + 1, "\n".join(body), origin,
                            tuple(sections) if origin else (),
                            tuple(mark.group("nodes").split()) if mark else (), not_run))
    return blocks


def notebook_blocks(notebook: Path) -> list[Block]:
    """Each %%node cell, and the host commands a cell asks the student to run (# !cmd)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    source, blocks = str(notebook.relative_to(ROOT)), []
    for number, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        text = "".join(cell["source"])
        first, _, rest = text.partition("\n")
        magic = _NODE_MAGIC.match(first)
        if magic:
            args = shlex.split(magic.group("args"))
            lab = args[args.index("--lab") + 1] if "--lab" in args else None
            blocks.append(Block(source, number, rest, lab=lab))
        elif text.startswith("%labcheck"):
            blocks.append(Block(source, number, text.lstrip("%")))
        else:
            host = tuple(m.group(1) for m in re.finditer(r"^#\s*!(.+)$", text, re.MULTILINE))
            if host:
                blocks.append(Block(source, number, "\n".join(host), on_host=True))
    return blocks


def site_blocks() -> list[Block]:
    pages = sorted(DOCS.rglob("*.md"))
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    return [b for p in pages for b in page_blocks(p)] + [
        b for n in notebooks for b in notebook_blocks(n)]


# --- what the tests executed in this session -------------------------------------------
EXECUTED: dict[str, str] = {}   # key -> which test ran it
TALLY: list[str] = []            # the tally line, for the end of the pytest output


def record_executed(key: str, by: str) -> None:
    """A test ran a block (key = its digest), a script (its repo path) or a notebook."""
    EXECUTED.setdefault(key, by)


def page_block(page: Path, containing: str) -> Block:
    """The one bash block of a page that contains a text (tests pick blocks this way)."""
    found = [b for b in page_blocks(page) if containing in b.text]
    assert len(found) == 1, f"{page}: {len(found)} blocos bash com {containing!r}"
    return found[0]


def file_key(path: Path) -> str:
    return f"{path.resolve().relative_to(ROOT)}@{hashlib.sha256(path.read_bytes()).hexdigest()}"


# --- what make e2e ran on the Vagrant lab -----------------------------------------------
def load_record(path: Path = RECORD) -> dict:
    if not path.exists():
        return {"about": "O que o make e2e rodou no laboratório Vagrant como o site mostra "
                         "(tests/site/pagecommands.py). Gerado: não edite à mão.",
                "entries": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def save_record(record: dict, path: Path = RECORD) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                   encoding="utf-8")
    tmp.replace(path)


def record_vagrant(key: str, what: str, seconds: float, path: Path = RECORD) -> None:
    record = load_record(path)
    record["entries"][key] = {"what": what, "seconds": round(seconds),
                              "date": time.strftime("%Y-%m-%d")}
    save_record(record, path)


NODE_BACK_TRIES = 20  # x (20 s + connect): a fenced node boots in about 2 min under TCG


def run_on_vagrant(page: Path, ssh_config_dir: Path) -> int:
    """Run a page's <!-- vagrant: ... --> blocks in order; stop at the first failure."""
    blocks = [b for b in page_blocks(page) if b.vagrant_nodes]
    if not blocks:
        print(f"{page}: nenhum bloco marcado com <!-- vagrant: ... -->", file=sys.stderr)
        return 2
    for block in blocks:
        started = time.monotonic()
        for node in block.vagrant_nodes:
            config = ssh_config_dir / f"ssh-config.{node}"
            print(f"==> {block.where} em {node}\n{block.text}", flush=True)
            # ssh's own failure (255) means the node did not answer: after the lesson's
            # `pcs stonith fence node2`, node2 is rebooting. Wait for it as a student would.
            for _ in range(NODE_BACK_TRIES):
                run = subprocess.run(["ssh", "-F", str(config), "-o", "LogLevel=ERROR",
                                      "-o", "ConnectTimeout=10", node,
                                      "sudo", "bash", "-euo", "pipefail", "-s"],
                                     input=block.text, text=True, timeout=1800)
                if run.returncode != 255:
                    break
                print(f"{node} não respondeu; tento de novo em 20 s", flush=True)
                time.sleep(20)
            if run.returncode != 0:
                print(f"FALHOU: {block.where} em {node} (rc={run.returncode})", file=sys.stderr)
                return 1
        record_vagrant(block.digest, f"{block.where} em {' '.join(block.vagrant_nodes)}",
                       time.monotonic() - started)
    return 0


def record_file(path: Path, what: str, seconds: float = 0) -> None:
    record_vagrant(file_key(path), what, seconds)


def record_command(command: str, what: str) -> None:
    record_vagrant("cmd:" + command, what, 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.site.pagecommands")
    sub = parser.add_subparsers(dest="action", required=True)
    vagrant = sub.add_parser("vagrant", help="roda os blocos <!-- vagrant --> de uma página")
    vagrant.add_argument("page", type=Path)
    vagrant.add_argument("--ssh-config-dir", type=Path, required=True)
    ran_file = sub.add_parser("ran-file", help="registra um script ou caderno rodado no Vagrant")
    ran_file.add_argument("path", type=Path)
    ran_file.add_argument("--what", required=True)
    ran_file.add_argument("--seconds", type=float, default=0)
    ran_cmd = sub.add_parser("ran-command", help="registra um comando rodado como a página diz")
    ran_cmd.add_argument("command")
    ran_cmd.add_argument("--what", required=True)
    args = parser.parse_args(argv)
    if args.action == "vagrant":
        return run_on_vagrant(args.page.resolve(), args.ssh_config_dir)
    if args.action == "ran-file":
        record_file(args.path, args.what, args.seconds)
    else:
        record_command(args.command, args.what)
    return 0


if __name__ == "__main__":
    sys.exit(main())
