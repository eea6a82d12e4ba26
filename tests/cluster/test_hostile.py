"""A hostile student's lab: labcheck survives anything a node sends, and one bad lab never
costs the class its gradebook.

The hostile lab is a real namespace lab whose cluster nodes get their own /usr/local/sbin
(a bind mount inside each node's mount namespace). The probe script puts that folder first
in PATH, so a script placed there stands in for `cibadmin` or `crm_mon` exactly as a student
with root on the node could do it. The other student's lab is the healthy test lab.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, Lab, start_lab, stop_lab

HOSTILE_LAB = os.environ.get("LABCHECK_TEST_LAB3", "h")
HOSTILE_SUBNET = os.environ.get("LABCHECK_TEST_SUBNET3", "192.168.230")
# A trickling node is cut at this deadline; healthy nodes answer far sooner, even on a
# loaded CI machine.
DEADLINE = 15
ESCAPES = "\\033]0;TITLE\\007\\033[2J\\033[31mFAKE: APROVADO 100/100"
CONTROL = {chr(c) for c in range(32) if chr(c) not in "\n\t"} | {chr(c) for c in range(0x7F, 0xA0)}


@dataclass
class HostileLab:
    lab: Lab
    tools: Path

    def swap(self, program: str, script: str) -> None:
        """From now on `program` on node1 and node2 is this shell script."""
        path = self.tools / program
        path.write_text("#!/bin/sh\n" + script)
        path.chmod(0o755)

    def restore(self) -> None:
        for path in self.tools.iterdir():
            path.unlink()


@pytest.fixture(scope="module")
def hostile_lab_module() -> Iterator[HostileLab]:
    # a fresh lab: a leftover one could hold an old bind mount
    stop_lab(Lab(HOSTILE_LAB, Path()))
    lab = start_lab(HOSTILE_LAB, HOSTILE_SUBNET)
    tools = Path(tempfile.mkdtemp(prefix=f"labcheck-hostile-{lab.name}-", dir="/var/tmp"))
    for node in ("node1", "node2"):
        lab.sh(node, f"mount --bind {tools} /usr/local/sbin")
    yield HostileLab(lab, tools)
    stop_lab(lab)
    shutil.rmtree(tools, ignore_errors=True)


@pytest.fixture
def hostile(hostile_lab_module: HostileLab) -> Iterator[HostileLab]:
    hostile_lab_module.restore()
    yield hostile_lab_module
    hostile_lab_module.restore()


@pytest.fixture
def classroom(hostile: HostileLab, clean_lab: Lab, tmp_path: Path) -> tuple[Path, Path]:
    """ana: a healthy, fresh lab; eve: the hostile one."""
    folder = tmp_path / "turma"
    folder.mkdir()
    (folder / "ana.yaml").write_text(clean_lab.inventory.read_text())
    (folder / "eve.yaml").write_text(hostile.lab.inventory.read_text())
    known = tmp_path / "known_hosts"
    known.write_text(clean_lab.known_hosts.read_text() + hostile.lab.known_hosts.read_text())
    return folder, known


def run_class(folder: Path, known: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [sys.executable, "-m", "checker", "class", "exercise2", "--inventories", str(folder),
         "--out", str(out), "--jobs", "2", *extra],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
        env={**os.environ, "LABCHECK_KNOWN_HOSTS": str(known)})
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode != 70, run.stderr
    return run


def rows(out: Path) -> dict[str, dict[str, str]]:
    return {r["student"]: r for r in csv.DictReader((out / "exercise2.csv").open())}


def assert_ana_still_graded(out: Path) -> None:
    ana = rows(out)["ana"]
    # 5 of the 95 points the namespace lab can show, on the class scale of 100
    assert (ana["status"], ana["raw_score"], ana["score"]) == ("failed", "5", "5.3"), ana
    assert (out / "exercise2.json").exists() and (out / "exercise2.html").exists()


# 1 ------------------------------------------------------------------- deadline

def test_a_node_that_trickles_forever_is_cut_at_the_deadline(hostile: HostileLab):
    hostile.swap("cibadmin", "while :; do printf x; sleep 5; done\n")
    started = time.monotonic()
    graded = hostile.lab.labcheck("exercise2", "--timeout", str(DEADLINE))
    elapsed = time.monotonic() - started
    assert graded.code == 3
    late = [p for p in graded.json["problems"] if "não respondeu a tempo" in p]
    assert {p.split(":")[0] for p in late} == {"node1", "node2"}
    assert all(f"{DEADLINE} s (--timeout)" in p for p in late)
    # node3 still answered and was judged
    assert graded.status("remoted-running") == "fail"
    assert elapsed < DEADLINE + 15, elapsed


def test_class_run_beside_a_trickling_lab_keeps_its_gradebook(hostile, classroom, tmp_path):
    hostile.swap("cibadmin", "while :; do printf x; sleep 5; done\n")
    folder, known = classroom
    out = tmp_path / "notas"
    started = time.monotonic()
    run = run_class(folder, known, out, "--timeout", str(DEADLINE))
    assert time.monotonic() - started < DEADLINE + 45
    assert run.returncode == 3
    eve = rows(out)["eve"]
    assert eve["status"] == "unreachable" and "node1: o nó não respondeu a tempo" in eve["detail"]
    assert_ana_still_graded(out)


# 2 ------------------------------------------------------------------- output cap

def test_output_past_the_cap_is_an_error_naming_the_size(hostile: HostileLab):
    hostile.swap("cibadmin", "exec head -c 300000000 /dev/zero\n")
    graded = hostile.lab.labcheck("exercise2", "--max-output", "8")
    assert graded.code == 3
    big = [p for p in graded.json["problems"] if "mais de 8 MiB de saída" in p]
    assert {p.split(":")[0] for p in big} == {"node1", "node2"}


def test_class_run_beside_a_flooding_lab_keeps_its_gradebook(hostile, classroom, tmp_path):
    hostile.swap("cibadmin", "exec head -c 300000000 /dev/zero\n")
    folder, known = classroom
    out = tmp_path / "notas"
    run = run_class(folder, known, out, "--max-output", "8")
    assert run.returncode == 3
    assert "mais de 8 MiB" in rows(out)["eve"]["detail"]
    assert_ana_still_graded(out)


# 3 ------------------------------------------------------------------- huge numbers

HUGE = "1" + "0" * 5000
BIG_OP = (f'<resources><primitive id="big" class="ocf" provider="pacemaker" type="Dummy">'
          f'<operations><op id="big-monitor" name="monitor" interval="{HUGE}s"/>'
          f'</operations></primitive></resources>')


def test_numbers_of_five_thousand_digits_are_data_not_a_crash(hostile, classroom, tmp_path):
    hostile.swap("cibadmin", f"/usr/sbin/cibadmin \"$@\" | sed -e 's|<resources/>|{BIG_OP}|' "
                             f"-e 's/ epoch=\"[0-9]*\"/ epoch=\"{HUGE}\"/'\n")
    assert f'interval="{HUGE}s"' in hostile.lab.sh("node1", "cibadmin -Q").stdout
    graded = hostile.lab.labcheck("exercise2")
    assert graded.code == 1  # graded: a fresh lab fails its steps
    assert graded.status("cluster-online") == "pass"
    folder, known = classroom
    out = tmp_path / "notas"
    run_class(folder, known, out)
    assert rows(out)["eve"]["status"] == "failed"
    assert_ana_still_graded(out)


# 4 ------------------------------------------------------------------- terminal escapes

def test_terminal_escapes_never_reach_any_report(hostile, classroom, tmp_path):
    for program in ("cibadmin", "crm_mon"):
        hostile.swap(program, f"printf '{ESCAPES}\\n' >&2; exit 1\n")
    text = hostile.lab.labcheck("exercise2", fmt="text")
    assert text.code == 4
    assert "FAKE: APROVADO 100/100" in text.stdout  # shown, as plain text
    assert not CONTROL & set(text.stdout + text.stderr)
    junit = hostile.lab.labcheck("exercise2", fmt="junit")
    ET.fromstring(junit.stdout)  # well-formed XML
    assert not CONTROL & set(junit.stdout)
    graded = hostile.lab.labcheck("exercise2")
    assert not CONTROL & set(graded.stdout)

    folder, known = classroom
    out = tmp_path / "notas"
    run = run_class(folder, known, out)
    assert not CONTROL & set(run.stdout)
    for name in ("exercise2.csv", "exercise2.json", "exercise2.html"):
        assert not CONTROL & set((out / name).read_text()), name
    assert "FAKE" in rows(out)["eve"]["detail"]
    assert_ana_still_graded(out)


# 5 ------------------------------------------------------------------- CSV formulas

def test_csv_cells_never_start_a_formula(clean_lab: Lab, tmp_path: Path):
    folder = tmp_path / "turma"
    folder.mkdir()
    healthy = clean_lab.inventory.read_text()
    for name in ('=HYPERLINK("x","y")', "+1+1", "-2+3", "@SUM(A1)"):
        (folder / f"{name}.yaml").write_text(healthy)
    node1 = clean_lab.address("node1")
    (folder / "hostname.yaml").write_text(
        healthy.replace("node1:", "'=HYPERLINK(\"x\",\"y\")':", 1))
    (folder / "detail.yaml").write_text(healthy.replace(node1, "-1+2", 1))
    run = run_class(folder, clean_lab.known_hosts, tmp_path / "notas")
    with (tmp_path / "notas" / "exercise2.csv").open() as stream:
        table = list(csv.reader(stream))
    students = [row[0] for row in table[1:]]
    assert set(students) == {"'+1+1", "'-2+3", "'=HYPERLINK(\"x\",\"y\")", "'@SUM(A1)",
                             "detail", "hostname"}
    for row in table[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row
    by_name = {row[0]: row for row in table[1:]}
    assert by_name["hostname"][3] == "error" and "nome de host inválido" in by_name["hostname"][4]
    assert by_name["'+1+1"][3] == "failed"
    assert run.returncode == 2  # two inventories were refused


# 6 ------------------------------------------------------------------- names as options

def test_a_host_name_never_becomes_an_ssh_option(clean_lab: Lab, tmp_path: Path):
    pwned = Path(f"/tmp/labcheck-pwned-{os.getpid()}")
    pwned.unlink(missing_ok=True)
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(clean_lab.inventory.read_text().replace(
        "node2:", f"'-oProxyCommand=hostname>>{pwned}':", 1))
    graded = clean_lab.labcheck("exercise1", inventory=inventory)
    assert graded.code == 2
    assert "nome de host inválido" in graded.stderr and "-oProxyCommand" in graded.stderr
    for node in ("node1", "node2"):  # nothing ran, here or on the nodes
        assert clean_lab.sh(node, f"test -e {pwned}", check=False).returncode != 0
    assert not pwned.exists()


# 7 ------------------------------------------------------------------- known_hosts

@pytest.mark.parametrize(("content", "fragment"), [
    (b"10.0.0.1 ssh-ed25519 !!!notbase64\n", "linha 2: entrada inválida"),
    (b"# ok\n\xff\xfe broken\n", "linha 3: não é texto UTF-8"),
])
def test_malformed_known_hosts_is_named_with_its_line(lab: Lab, tmp_path: Path, content, fragment):
    known = tmp_path / "known_hosts"
    known.write_bytes(lab.known_hosts.read_bytes().splitlines(keepends=True)[0] + content)
    graded = lab.labcheck("exercise2", env={"LABCHECK_KNOWN_HOSTS": str(known)})
    assert graded.code == 2
    assert f"known_hosts {known}, {fragment}" in graded.stderr
    folder = tmp_path / "turma"
    folder.mkdir()
    (folder / "ana.yaml").write_text(lab.inventory.read_text())
    run = run_class(folder, known, tmp_path / "notas")
    assert run.returncode == 2 and fragment in run.stderr


# 8 ------------------------------------------------------------------- inventory values

@pytest.mark.parametrize(("old", "new", "fragment"), [
    ("ansible_host:", "ansible_port: 70000, ansible_host:", "host node1, ansible_port"),
    ("ansible_host:", "ansible_port: 22.7, ansible_host:", "host node1, ansible_port"),
    ("ansible_host:", "ansible_user: '-oX', ansible_host:", "host node1, ansible_user"),
])
def test_inventory_values_are_checked_before_connecting(lab: Lab, tmp_path: Path, old, new,
                                                        fragment):
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(lab.inventory.read_text().replace(old, new, 1))
    graded = lab.labcheck("exercise2", inventory=inventory)
    assert graded.code == 2 and fragment in graded.stderr


def test_key_file_that_is_a_directory_is_an_inventory_error(lab: Lab, tmp_path: Path):
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(lab.inventory.read_text().replace(str(lab.state / "id_ed25519"),
                                                           str(tmp_path)))
    graded = lab.labcheck("exercise2", inventory=inventory)
    assert graded.code == 2
    assert "ansible_ssh_private_key_file" in graded.stderr and "não é um arquivo" in graded.stderr


# 9 ------------------------------------------------------------------- paths from names

def test_reset_never_writes_outside_the_backup_folder(lab: Lab, tmp_path: Path):
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(lab.inventory.read_text().replace("node1:", "'../../../../tmp/x':", 1))
    before = set(Path("/tmp").glob("x-*"))
    run = subprocess.run([sys.executable, "-m", "checker", "reset", "exercise2", "--yes",
                          "-i", str(inventory)], capture_output=True, text=True, cwd=ROOT,
                         timeout=120, env={**os.environ, "HOME": str(tmp_path),
                                           "LABCHECK_KNOWN_HOSTS": str(lab.known_hosts)})
    assert run.returncode == 2 and "nome de host inválido" in run.stderr
    assert set(Path("/tmp").glob("x-*")) == before


# 10 ------------------------------------------------------------------ --out

def test_out_that_is_a_file_is_refused_before_grading(lab: Lab, tmp_path: Path):
    folder = tmp_path / "turma"
    folder.mkdir()
    (folder / "ana.yaml").write_text(lab.inventory.read_text())
    out = tmp_path / "notas.csv"
    out.write_text("planilha antiga\n")
    run = run_class(folder, lab.known_hosts, out)
    assert run.returncode == 2 and "--out" in run.stderr and "não é uma pasta" in run.stderr
    assert "corrigindo" not in run.stderr and out.read_text() == "planilha antiga\n"
