"""Every pcs command the site tells students to type is accepted by real pcs.

The commands are taken from the ```bash blocks of docs/ (not from the text blocks that
show broken forms) and run, page by page and in order, with `pcs -f` against a CIB
recorded from the namespace lab. Commands that need a live cluster, pcsd, systemd or an
agent this machine lacks are listed with the reason and not run here; the Vagrant lab
is where they are checked.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FRESH_CIB = ROOT / "tests" / "fixtures" / "pacemaker-2.1.5" / "cib-fresh.xml"

# Why a command is not run here (first matching pattern wins).
NOT_HERE = [
    (r"^pcs (resource (move|clear|cleanup|ban)|status|cluster|host)\b",
     "precisa do cluster ao vivo ou do pcsd"),
    (r"\bstonith create \S+ fence_", "agente de fencing (fence-agents) não instalado aqui"),
    (r"^pcs constraint( --full| config)?$", "só mostra a configuração"),
]
# Without systemd here, a systemd: agent is checked as a Dummy of the same name: the rest
# of the command (operations, group, clone, later constraints on it) still goes to pcs.
SYSTEMD_AGENT = re.compile(r"\bsystemd:\S+")
# Commands that read metadata, not a CIB: run without -f.
NO_CIB = re.compile(r"^pcs resource (describe|agents|providers|standards)\b")
# A page that rehearses on a saved copy of the CIB (`pcs -f /root/ensaio.xml ...`, after
# `pcs cluster cib /root/ensaio.xml`): the test's CIB stands in for that copy.
PAGE_CIB = re.compile(r"^pcs -f \S+ ")


def bash_blocks(text: str) -> list[str]:
    """Bodies of ```bash fences, following each fence's own indentation."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        opening = re.match(r"^(\s*)```\s*bash\b", lines[i])
        if not opening:
            i += 1
            continue
        indent, body = opening.group(1), []
        i += 1
        while i < len(lines) and lines[i].rstrip() != f"{indent}```":
            body.append(lines[i][len(indent):])
            i += 1
        blocks.append("\n".join(body))
        i += 1
    return blocks


def pcs_commands(page: Path) -> list[str]:
    commands = []
    for block in bash_blocks(page.read_text(encoding="utf-8")):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split(" #", 1)[0].strip()
            if line.startswith("pcs "):
                commands.append(line)
    return commands


PAGES = sorted(p for p in DOCS.rglob("*.md") if pcs_commands(p))


def reason_not_here(command: str) -> str | None:
    return next((why for pattern, why in NOT_HERE if re.search(pattern, command)), None)


@pytest.fixture(scope="module", autouse=True)
def _agent_installed(course_agent):
    """Lesson 7.3.4's pcs commands need its agent installed."""


def test_the_site_has_pcs_commands_to_check():
    assert len(PAGES) >= 5
    assert sum(len(pcs_commands(p)) for p in PAGES) >= 20


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_pcs_commands_on_the_page_are_accepted(page: Path, tmp_path: Path):
    cib = tmp_path / "cib.xml"
    shutil.copy(FRESH_CIB, cib)
    ran, skipped = [], []
    for command in pcs_commands(page):
        command = PAGE_CIB.sub("pcs ", command)
        why = reason_not_here(command)
        if why:
            skipped.append(f"{command}  ({why})")
            continue
        if SYSTEMD_AGENT.search(command):
            skipped.append(f"{command}  (agente systemd: conferido como ocf:pacemaker:Dummy)")
            command = SYSTEMD_AGENT.sub("ocf:pacemaker:Dummy", command)
        args = shlex.split(command)
        created = re.match(r"^pcs resource create (\S+)", command)
        if created:
            # The pages show alternatives (RHEL/Debian tabs, agent A or B) under one name.
            subprocess.run(["pcs", "-f", str(cib), "resource", "delete", created.group(1),
                            "--force"], capture_output=True, text=True)
        with_cib = [] if NO_CIB.match(command) else ["-f", str(cib)]
        run = subprocess.run(["pcs", *with_cib, *args[1:]], capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0, f"{page.name}: {command}\n{run.stdout}{run.stderr}"
        ran.append(command)
    assert ran or skipped
    print(f"\n{page.relative_to(DOCS)}: {len(ran)} comandos aceitos; à parte:")
    print("\n".join(f"  - {s}" for s in skipped))
