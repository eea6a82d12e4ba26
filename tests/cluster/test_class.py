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
    env = {**os.environ, "LAB_KIND": "nslab", "NSLAB_NAME": second.name}
    run = subprocess.run(["bash", str(ROOT / "labs/solutions/exercise2.sh")], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
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
         "--out", str(out), "--timeout", "3", *extra],
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
    assert (rows["ana"]["status"], rows["ana"]["score"]) == ("failed", "5")
    assert (rows["bruno"]["status"], rows["bruno"]["score"], rows["bruno"]["max_score"]) == (
        "passed", "95", "95")
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


def test_all_reachable_exits_0(classroom, tmp_path: Path):
    folder, known = classroom
    for name in ("carla.yaml", "davi.yaml"):
        (folder / name).unlink()
    run = run_class(folder, known, tmp_path / "notas")
    assert run.returncode == 0, run.stdout + run.stderr


def test_missing_folder_is_a_usage_error(tmp_path: Path):
    run = run_class(tmp_path / "nada", tmp_path / "kh", tmp_path / "out")
    assert run.returncode == 2 and "não existe" in run.stderr
