"""Lesson 7.1's load-balancing section runs as written and shows what it printed.

The section rehearses on a copy of the CIB: `pcs cluster cib /root/ensaio.xml`, then
`pcs -f` and `crm_simulate -x` on that file. Here the copy is the CIB recorded from the
namespace lab right after `nslab up` (tests/fixtures/pacemaker-2.1.5/cib-fresh.xml), the
section's commands on that file run in order, and every line of each output box that
follows a command block must appear, in order, in what that block printed ("..." marks
a cut; runs of blanks and tabs count as one space). The placements the strategy table
and the prose describe, and the VirtualDomain parameters the section names, are checked
against real crm_simulate and the installed agent's metadata.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.site.pagecommands import record_executed

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "licoes" / "7.1-virtualdomain.md"
FRESH_CIB = ROOT / "tests" / "fixtures" / "pacemaker-2.1.5" / "cib-fresh.xml"
HEADING = "## Balanceamento de carga"
COPY = "/root/ensaio.xml"
FENCE = re.compile(r"^(\s*)```\s*(bash|\{ \.text \.no-copy \})\s*$")


def section() -> str:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(HEADING)
    end = text.find("\n## ", start + len(HEADING))
    return text[start:end if end != -1 else None]


def blocks(markdown: str) -> list[tuple[str, str, bool]]:
    """(kind, body, right_after_previous_block) for each bash or output fence, in order."""
    found, lines, i, last_end = [], markdown.splitlines(), 0, None
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, kind, body = opening.group(1), opening.group(2), []
        adjacent = last_end is not None and all(not s.strip() for s in lines[last_end:i])
        i += 1
        while i < len(lines) and lines[i].rstrip() != f"{indent}```":
            body.append(lines[i][len(indent):])
            i += 1
        found.append(("bash" if kind == "bash" else "out", "\n".join(body), adjacent))
        i += 1
        last_end = i
    return found


def commands(body: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", body)
    return [c for c in (line.split(" #", 1)[0].strip() for line in joined.splitlines()) if c]


def run(command: str, cib: Path) -> str:
    """One command of the page, on the test's copy of the CIB; its stdout and stderr."""
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command.replace(COPY, str(cib))],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
    return done.stdout + done.stderr


def normalized(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def missing_lines(shown: str, printed: str) -> list[str]:
    """The lines of an output box that are not, in order, in what was printed."""
    real, at, missing = normalized(printed), 0, []
    for line in normalized(shown):
        if line in ("...", "…"):
            continue
        if line in real[at:]:
            at = real.index(line, at) + 1
        else:
            missing.append(line)
    return missing


def test_the_rehearsal_runs_and_prints_what_the_page_shows(tmp_path: Path):
    cib, printed, ran, compared = tmp_path / "ensaio.xml", "", [], 0
    for kind, body, adjacent in blocks(section()):
        if kind == "out":
            assert adjacent and printed, f"caixa de saída sem um bloco de comandos logo antes:\n{body}"
            missing = missing_lines(body, printed)
            assert not missing, ("linhas da página que os comandos não imprimiram:\n"
                                 + "\n".join(missing) + f"\n--- impresso:\n{printed}")
            compared += 1
            continue
        printed = ""
        for command in commands(body):
            if command.startswith("crm_simulate"):
                assert COPY in command, f"crm_simulate fora da cópia do ensaio: {command}"
            if COPY not in command:
                continue  # the live cluster's commands: tests/site/test_commands.py
            if command == f"pcs cluster cib {COPY}":
                shutil.copy(FRESH_CIB, cib)  # the namespace lab, right after nslab up
            else:
                printed += run(command, cib)
            ran.append(command)
            record_executed("cmd:" + command, "test_placement (cópia do CIB do laboratório)")
    assert len(ran) >= 15 and compared >= 5, (ran, compared)


@pytest.fixture(scope="module")
def set_up(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The copy after the section's first block: the nodes' capacity, the stand-ins."""
    cib = tmp_path_factory.mktemp("ensaio") / "ensaio.xml"
    first = next(body for kind, body, _ in blocks(section()) if kind == "bash")
    for command in commands(first):
        if command == f"pcs cluster cib {COPY}":
            shutil.copy(FRESH_CIB, cib)
        else:
            run(command, cib)
    return cib


def rehearsal(set_up: Path, tmp_path: Path) -> Path:
    cib = tmp_path / "ensaio.xml"
    shutil.copy(set_up, cib)
    return cib


def transition(cib: Path) -> list[str]:
    out = run(f"crm_simulate -R -x {COPY}", cib)
    return [" ".join(line.split()).removeprefix("* ") for line in out.splitlines()
            if re.match(r"^\s*(\* )?(Start|Stop|Migrate|Move|Restart|Recover)\s", line)]


# The strategy table's last column ("No ensaio abaixo"): what it says, and where
# crm_simulate starts the three stand-ins with each strategy.
TABLE = {
    "default": ("`vm-banco` e `vm-erp` em `node1`, `vm-web` em `node2`",
                {"vm-banco": "node1", "vm-web": "node2", "vm-erp": "node1"}),
    "utilization": ("O mesmo que `default`: as três cabem.",
                    {"vm-banco": "node1", "vm-web": "node2", "vm-erp": "node1"}),
    "balanced": ("`vm-banco` sozinha em `node1`, as outras duas em `node2`",
                 {"vm-banco": "node1", "vm-web": "node2", "vm-erp": "node2"}),
    "minimal": ("As três em `node1`, que fica cheio.",
                {"vm-banco": "node1", "vm-web": "node1", "vm-erp": "node1"}),
}


@pytest.mark.parametrize("strategy", sorted(TABLE))
def test_the_strategy_table_says_where_the_rehearsal_starts_each_vm(strategy: str,
                                                                    set_up: Path,
                                                                    tmp_path: Path):
    said, where = TABLE[strategy]
    row = next(line for line in section().splitlines() if line.startswith(f"| `{strategy}`"))
    assert said in row
    cib = rehearsal(set_up, tmp_path)
    run(f"pcs -f {COPY} property set placement-strategy={strategy}", cib)
    assert sorted(transition(cib)) == sorted(f"Start {vm} ( {node} )"
                                             for vm, node in where.items())


def test_stickiness_keeps_running_vms_when_balanced_is_turned_on(set_up: Path,
                                                                  tmp_path: Path):
    """'ligar balanced num cluster que já roda não redistribui nada enquanto tudo couber
    [...] Com aderência 0, o mesmo comando migraria VMs na hora.'"""
    assert "Com aderência 0, o mesmo comando migraria VMs" in " ".join(section().split())
    cib = rehearsal(set_up, tmp_path)
    run(f"crm_simulate -X -x {COPY}", cib)  # running where the default strategy put them
    run(f"pcs -f {COPY} property set placement-strategy=balanced", cib)
    assert transition(cib) == []
    run(f"pcs -f {COPY} resource defaults update resource-stickiness=0", cib)
    assert transition(cib) == ["Migrate vm-erp ( node1 -> node2 )"]


def test_vms_with_the_agents_utilization_stop_on_nodes_that_declare_nothing(
        tmp_path: Path):
    """Question 4 of the quiz: balanced, nodes without capacity, VMs that VirtualDomain
    has already filled in."""
    cib = tmp_path / "ensaio.xml"
    shutil.copy(FRESH_CIB, cib)
    run(f"pcs -f {COPY} resource create vm-a ocf:pacemaker:Dummy", cib)
    run(f"pcs -f {COPY} resource utilization vm-a cpu=1 hv_memory=512 host_memory=512", cib)
    run(f"crm_simulate -X -x {COPY}", cib)
    assert transition(cib) == []  # default: the numbers are ignored
    run(f"pcs -f {COPY} property set placement-strategy=balanced", cib)
    assert [t.split(" due to")[0] for t in transition(cib)] == ["Stop vm-a ( node1 )"]


def test_the_virtualdomain_parameters_are_the_agents():
    """Names and defaults in the section's table come from the installed agent."""
    meta = subprocess.run(["crm_resource", "--show-metadata", "ocf:heartbeat:VirtualDomain"],
                          capture_output=True, text=True, timeout=60)
    assert meta.returncode == 0, meta.stderr
    defaults = {p.get("name"): p.find("content").get("default")
                for p in ET.fromstring(meta.stdout).iter("parameter")
                if "utilization" in p.get("name", "")}
    text = section()
    for name in ("cpu", "hv_memory", "host_memory"):
        row = next(line for line in text.splitlines()
                   if line.startswith(f"| `autoset_utilization_{name}`"))
        assert f"| `{defaults[f'autoset_utilization_{name}']}` |" in row
        assert f"`unset_utilization_{name}`" in text and defaults[f"unset_utilization_{name}"] == "false"
    agent = Path("/usr/lib/ocf/resource.d/heartbeat/VirtualDomain").read_text()
    assert re.search(r"set_util_attr hv_memory", agent) and "dominfo" in agent
