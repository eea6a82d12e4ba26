"""The class gradebook survives any one lab and any cell a student can put in it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import checker.classroom as classroom
from checker.class_report import check_out_folder, csv_cell, write_gradebook
from checker.errors import UsageError
from checker.exercises import load_exercise
from checker.gather import SshOptions

UNREACHABLE = """
all:
  children:
    cluster:
      hosts:
        node1: {ansible_host: 127.0.0.1, ansible_port: 1}
"""


def test_csv_cells_that_would_be_formulas_are_neutralised():
    for formula in ("=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_cell(formula) == "'" + formula
    assert csv_cell("ana") == "ana" and csv_cell(5) == 5 and csv_cell("") == ""


def test_an_unexpected_exception_becomes_that_labs_row(tmp_path: Path, monkeypatch):
    folder = tmp_path / "turma"
    folder.mkdir()
    for name in ("ana", "eve"):
        (folder / f"{name}.yaml").write_text(UNREACHABLE)
    real_load = classroom.load_inventory

    def load(path):
        if Path(path).stem == "eve":
            raise RuntimeError("a labcheck bug set off by eve's lab")
        return real_load(path)

    monkeypatch.setattr(classroom, "load_inventory", load)
    exercise = load_exercise("exercise2")
    results = classroom.grade_class(exercise, classroom.student_inventories(folder),
                                    SshOptions(known_hosts=tmp_path / "kh"), jobs=2)
    by_name = {r.student: r for r in results}
    assert by_name["ana"].status == "unreachable" and "conexão recusada" in by_name["ana"].detail
    assert by_name["eve"].status == "error"
    assert "erro interno do labcheck" in by_name["eve"].detail
    assert "RuntimeError" in by_name["eve"].detail
    paths = write_gradebook(tmp_path / "notas", exercise, results)
    rows = list(csv.DictReader(paths[0].open()))
    assert [r["student"] for r in rows] == ["ana", "eve"]


def test_student_names_from_file_names_are_cleaned(tmp_path: Path):
    folder = tmp_path / "turma"
    folder.mkdir()
    (folder / "ana\x1b[31m.yaml").write_text(UNREACHABLE)
    (folder / "ana[31m.yaml").write_text(UNREACHABLE)
    names = list(classroom.student_inventories(folder))
    assert names == ["ana[31m", "ana[31m (2)"]


def test_out_is_checked_before_grading(tmp_path: Path):
    existing = tmp_path / "notas.csv"
    existing.write_text("x")
    with pytest.raises(UsageError, match="não é uma pasta"):
        check_out_folder(existing)
    check_out_folder(tmp_path / "new" / "folder")
    assert (tmp_path / "new" / "folder").is_dir()


def test_gradebook_falls_back_to_a_temporary_folder(tmp_path: Path, capsys):
    exercise = load_exercise("exercise2")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    paths = write_gradebook(blocker / "notas", exercise, [])  # cannot create under a file
    assert all(p.exists() for p in paths) and paths[0].parent != blocker / "notas"
    assert "as notas vão para" in capsys.readouterr().err
