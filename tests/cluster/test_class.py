"""Grading a class: several real student labs, one unreachable, one broken inventory."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, Lab, start_lab, stop_lab

SECOND_LAB = os.environ.get("LABCHECK_TEST_LAB2", "t2")
SECOND_SUBNET = os.environ.get("LABCHECK_TEST_SUBNET2", "192.168.225")


@pytest.fixture(scope="module")
def solved_lab():
    """A second student's lab, with exercise 2 done."""
    second = start_lab(SECOND_LAB, SECOND_SUBNET)
    second.solve("exercise2")
    yield second
    stop_lab(second)


@pytest.fixture
def classroom(clean_lab: Lab, solved_lab: Lab, tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "turma"
    folder.mkdir()
    (folder / "ana.yaml").write_text(clean_lab.inventory.read_text())
    (folder / "bruno.yaml").write_text(solved_lab.inventory.read_text())
    (folder / "carla.yaml").write_text(
        clean_lab.inventory.read_text().replace(clean_lab.address("node2") + "}",
                                                f"{clean_lab.subnet}.99}}"))
    (folder / "davi.yaml").write_text("all: {children: [\n")
    (folder / "notas.txt").write_text("not an inventory")
    known = tmp_path / "known_hosts"
    known.write_text(clean_lab.known_hosts.read_text() + solved_lab.known_hosts.read_text())
    return folder, known


def run_class(folder: Path, known: Path, out: Path, *extra: str):
    return subprocess.run(
        [sys.executable, "-m", "checker", "class", "exercise2", "--inventories", str(folder),
         # --timeout bounds each node's whole exchange: room for a loaded CI machine, and
         # carla's address that never answers costs at most this
         "--out", str(out), "--timeout", "20", "--db", str(out / "h.sqlite3"), *extra],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
        env={**os.environ, "LABCHECK_KNOWN_HOSTS": str(known)})


def test_class_gradebook(classroom, tmp_path: Path):
    folder, known = classroom
    out = tmp_path / "notas"
    run = run_class(folder, known, out, "--jobs", "2")
    assert "Traceback" not in run.stderr
    assert run.returncode == 3  # carla's lab could not be reached
    rows = {r["student"]: r for r in csv.DictReader((out / "exercise2.csv").open())}
    assert set(rows) == {"ana", "bruno", "carla", "davi"}
    # one scale for the whole class: the exercise's 100 points, whatever each lab could show
    assert {r["max_score"] for r in rows.values()} == {"100"}
    # ana: 5 of the 95 points this lab can show (no systemd: step 3 is out of the count)
    assert (rows["ana"]["status"], rows["ana"]["score"]) == ("failed", "5.3")
    assert (rows["ana"]["raw_score"], rows["ana"]["raw_max_score"]) == ("5", "95")
    assert (rows["bruno"]["status"], rows["bruno"]["score"]) == ("passed", "100")
    # an unreachable node is not "unchecked": its steps count as zero, the scale stays 100
    assert rows["carla"]["unchecked_steps"] == "0" and float(rows["carla"]["score"]) < 10
    assert rows["davi"]["score"] == "0"
    assert rows["carla"]["status"] == "unreachable" and "node2" in rows["carla"]["detail"]
    assert rows["davi"]["status"] == "error" and "YAML inválido" in rows["davi"]["detail"]
    assert rows["ana"]["remote-online"] == "fail" and rows["bruno"]["remote-online"] == "pass"

    data = json.loads((out / "exercise2.json").read_text())
    assert [s["student"] for s in data["students"]] == ["ana", "bruno", "carla", "davi"]
    page = (out / "exercise2.html").read_text()
    assert "<html lang='pt-BR'>" in page and "inacessível" in page
    assert "pcs cluster node add-remote" in page  # ana's failing hints are there
    # the terminal summary names each student with a pt-BR status
    assert "bruno  aprovado" in run.stdout and "carla  inacessível" in run.stdout
    assert "100/100" in run.stdout and "5,3/100" in run.stdout

    # every lab of the run is in the history, on the same scale
    history = subprocess.run([sys.executable, "-m", "checker", "class", "history", "exercise2",
                              "--db", str(out / "h.sqlite3")], capture_output=True, text=True,
                             cwd=ROOT, timeout=60)
    assert history.returncode == 0, history.stderr
    lines = {line.split()[0]: line.split() for line in history.stdout.splitlines()
             if line.split() and line.split()[0] in {"ana", "bruno", "carla", "davi"}}
    assert lines["bruno"][1:5] == ["1", "100", "100", "aprovado"]
    assert lines["davi"][4] == "erro"


def test_all_reachable_exits_0(classroom, tmp_path: Path):
    folder, known = classroom
    for name in ("carla.yaml", "davi.yaml"):
        (folder / name).unlink()
    run = run_class(folder, known, tmp_path / "notas")
    assert run.returncode == 0, run.stdout + run.stderr


def test_missing_folder_is_a_usage_error(tmp_path: Path):
    run = run_class(tmp_path / "nada", tmp_path / "kh", tmp_path / "out")
    assert run.returncode == 2 and "não existe" in run.stderr


def test_class_reset_asks_once_and_restores_every_lab(classroom, tmp_path: Path):
    folder, known = classroom
    env = {**os.environ, "LABCHECK_KNOWN_HOSTS": str(known), "HOME": str(tmp_path)}

    def labcheck(*args: str, stdin: str = ""):
        return subprocess.run([sys.executable, "-m", "checker", *args], input=stdin,
                              capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)

    for name in ("ana", "bruno"):
        started = labcheck("start", "exercise2", "--force", "-i", str(folder / f"{name}.yaml"))
        assert started.returncode == 0, started.stdout + started.stderr
    # a student's work after the baseline
    ana = yaml_host(folder / "ana.yaml")
    subprocess.run([str(ROOT / "labs/nslab/nslab"), "exec", "--name", ana, "node1", "--",
                    "pcs", "resource", "create", "extra", "ocf:pacemaker:Dummy"],
                   check=True, capture_output=True)
    # carla: no node of her lab answers (in the gradebook test only node2 was missing)
    carla = folder / "carla.yaml"
    carla.write_text(carla.read_text().replace(classroom_lab_address(folder, "node1"),
                                               f"{SECOND_SUBNET}.98"))
    run = labcheck("class", "reset", "exercise2", "--inventories", str(folder), "--timeout", "3",
                   stdin="s\n")
    assert "Traceback" not in run.stderr
    assert run.stdout.count("Restaurar 1 laboratório(s)?") == 1
    assert "ana: será removido" in run.stdout and "recursos: extra" in run.stdout
    assert "bruno: já está na configuração inicial" in run.stdout
    assert "carla: não será restaurado" in run.stdout and "davi: não será restaurado" in run.stdout
    assert "ana: restaurado" in run.stdout
    assert run.returncode == 3  # carla could not be reached


def classroom_lab_address(folder: Path, node: str) -> str:
    text = (folder / "carla.yaml").read_text()
    return text.split(f"{node}: {{ansible_host: ")[1].split("}")[0]


def yaml_host(inventory: Path) -> str:
    """The nslab lab name behind an inventory (from its key path)."""
    return inventory.read_text().split("labcheck-nslab/")[1].split("/")[0]
