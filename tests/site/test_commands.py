"""Every shell command the site and the notebooks show is proven to run as written.

First, every pcs command of the ```bash blocks of docs/ (not the text blocks that show
broken forms) runs, page by page and in order, with `pcs -f` against a CIB recorded from
the namespace lab. Then, after every other test, `test_every_command_is_proven` goes
through all the blocks (tests/site/pagecommands.py says how they are found) and requires
each command to be executed by a test on the namespace lab, run with `pcs -f` here, run
by `make e2e` on the Vagrant lab (labs/e2e-record.json), or marked on its page as not
run here, with the reason. It prints the tally.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.site import pagecommands
from tests.site.pagecommands import Block

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FRESH_CIB = ROOT / "tests" / "fixtures" / "pacemaker-2.1.5" / "cib-fresh.xml"

# Why a command is not run here (first matching pattern wins).
NOT_HERE = [
    (r"^pcs (resource (move|clear|cleanup|ban)|status|cluster|host)\b",
     "precisa do cluster ao vivo ou do pcsd"),
    (r"\bstonith create \S+ fence_", "agente de fencing (fence-agents) não instalado aqui"),
    (r"^pcs stonith (fence|confirm|status|history|sbd)\b", "lê ou cerca o cluster ao vivo"),
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


def pcs_commands(page: Path) -> list[str]:
    """The page's pcs commands, in order; the blocks make e2e runs on the Vagrant lab and the
    solution snippets (their scripts run whole) are proven where they run instead."""
    return [command for block in pagecommands.page_blocks(page)
            if not block.vagrant_nodes and not block.origin
            for command in block.commands() if command.startswith("pcs ")]


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


def pcs_f_accepts(command: str) -> bool:
    """The pcs -f test above runs this command (it does not skip it)."""
    command = PAGE_CIB.sub("pcs ", command)
    return command.startswith("pcs ") and reason_not_here(command) is None


AGENT_CODE = "labs/agents/"
# The test modules that execute the site's blocks on the namespace lab; without all of
# them in the session, the tally cannot be made.
PRODUCERS = ("tests/cluster/test_exercise2.py", "tests/cluster/test_exercise3.py",
             "tests/cluster/test_exercise4.py", "tests/cluster/test_exercise5.py",
             "tests/cluster/test_mariadb.py", "tests/site/test_placement.py",
             "tests/site/test_ocf_agent.py", "tests/notebooks/test_notebooks.py",
             "tests/cluster/test_site_blocks.py")


def ran_files(keys: dict) -> set[str]:
    """Every command line of the scripts and notebooks that ran as they are now."""
    commands = set()
    for key in keys:
        path, _, digest = key.partition("@")
        if digest and (ROOT / path).exists() and pagecommands.file_key(ROOT / path) == key:
            commands |= pagecommands.file_commands(ROOT / path)
    return commands


@dataclass(frozen=True)
class Evidence:
    """What ran: in this session on the namespace lab, and in make e2e's record."""

    executed: dict[str, str]
    vagrant: dict[str, dict]
    executed_lines: set[str]  # command lines of the scripts and notebooks each one ran
    vagrant_lines: set[str]

    @classmethod
    def gather(cls, record: dict) -> Evidence:
        executed, vagrant = pagecommands.EXECUTED, record["entries"]
        return cls(executed, vagrant, ran_files(executed), ran_files(vagrant))


def file_proof(path: str, labs: set[str | None], evidence: Evidence) -> str | None:
    """A block that is part of a script or notebook: the file ran as it is now on the lab
    each part needs ("vagrant", "nslab"; None: either)."""
    key = pagecommands.file_key(ROOT / path)
    on_nslab, on_vagrant = key in evidence.executed, key in evidence.vagrant
    if ("vagrant" in labs and not on_vagrant) or ("nslab" in labs and not on_nslab):
        return None
    if "vagrant" in labs:
        return "Vagrant"
    return "executado" if on_nslab else "Vagrant" if on_vagrant else None


def proof(block: Block, command: str, evidence: Evidence) -> str | None:
    """How a command of a block is proven, or None."""
    if block.not_run:
        return "marcado"
    if block.vagrant_nodes:
        return "Vagrant" if block.digest in evidence.vagrant else None
    if block.origin:
        labs = {pagecommands.section_lab(block.origin, s) for s in block.sections
                } if block.origin.startswith("labs/solutions/") else {None}
        return file_proof(block.origin, labs, evidence)
    if block.source.endswith(".ipynb") and not block.on_host:
        return file_proof(block.source, {block.lab}, evidence)
    if (block.digest in evidence.executed or "cmd:" + command in evidence.executed
            or command in evidence.executed_lines):
        return "executado"
    if pcs_f_accepts(command):
        return "pcs -f"
    if (block.digest in evidence.vagrant or "cmd:" + command in evidence.vagrant
            or command in evidence.vagrant_lines):
        return "Vagrant"
    return None


def units(block: Block) -> list[str]:
    """What the tally counts: commands; an agent's code shown on a page counts once."""
    if block.origin and block.origin.startswith(AGENT_CODE):
        return [f"(código de {block.origin})"]
    return block.commands()


@pytest.mark.proof_tally
def test_every_command_is_proven(request: pytest.FixtureRequest):
    collected = {str(item.path.relative_to(ROOT)) for item in request.session.items}
    missing = [p for p in PRODUCERS if p not in collected]
    if missing:
        pytest.skip("a contagem precisa dos testes que rodam os blocos: " + ", ".join(missing))
    evidence = Evidence.gather(pagecommands.load_record())
    tally: dict[str, int] = {"executado": 0, "pcs -f": 0, "Vagrant": 0, "marcado": 0}
    unproven = []
    for block in pagecommands.site_blocks():
        for command in units(block):
            how = proof(block, command, evidence)
            if how is None:
                unproven.append(f"{block.where}: {command}")
            else:
                tally[how] += 1
    total = sum(tally.values()) + len(unproven)
    line = f"{total} comandos no site e nos cadernos: " + ", ".join(
        f"{how} {n}" for how, n in tally.items()) + f", sem prova {len(unproven)}"
    pagecommands.TALLY.append(line)
    print("\n" + line)
    assert not unproven, (
        "comandos que nenhum teste roda, que o make e2e não registrou (labs/e2e-record.json) "
        "e que a página não marca como não executados:\n" + "\n".join(unproven))
