"""What the board shows, from the history: cells, where each student is stuck, counts."""

from __future__ import annotations

from pathlib import Path

from checker import board_data
from checker.history import History
from checker.watch import RoundState
from tests.unit.classdata import EXERCISE2, report


def test_board_rows_cells_and_where_the_class_is_stuck(tmp_path: Path):
    with History(tmp_path / "h.sqlite3") as history:
        history.record(EXERCISE2, "ana", "watch", "failed",
                       report(passed=3, skip=("remoted-enabled",)), graded_at=10.0)
        history.record(EXERCISE2, "bruno", "watch", "failed", report(passed=1), graded_at=10.0)
        history.record(EXERCISE2, "carla", "watch", "unreachable",
                       report(passed=1, error=("remoted-running",),
                              unreachable=("node3: sem rota",)), "node3: sem rota",
                       graded_at=10.0)
        history.record(EXERCISE2, "davi", "watch", "error", None, "YAML inválido",
                       graded_at=10.0)
        labs = history.summaries("exercise2")
    names = ["ana", "bruno", "carla", "davi", "eva"]
    data = board_data.board(EXERCISE2, names, labs, RoundState(number=1, total=5), now=20.0)
    rows = {r["student"]: r for r in data["students"]}
    assert rows["ana"]["cells"][:4] == ["pass", "pass", "skip", "fail"]
    assert rows["ana"]["stuck_at"] == "same-authkey"  # a skip does not block
    assert rows["bruno"]["stuck_at"] == "remoted-running"
    assert rows["carla"]["cells"][1] == "unreachable" and rows["carla"]["detail"] == "node3: sem rota"
    assert rows["davi"]["cells"] == ["error"] * 7 and rows["davi"]["stuck_at"] is None
    assert rows["eva"]["status"] == "waiting" and rows["eva"]["cells"] == ["waiting"] * 7
    steps = {s["id"]: s for s in data["steps"]}
    assert steps["cluster-online"]["passed"] == 3
    # bruno; carla's lab could not be read, so where she is is unknown: counted apart
    assert steps["remoted-running"]["stuck"] == 1 and rows["carla"]["stuck_at"] is None
    assert data["counts"] == {"passed": 0, "failed": 2, "unreachable": 1, "error": 1,
                              "waiting": 1}
    assert data["exercise"]["scale"] == 100 and "mesma escala" in data["scale_rule"]
    detail = board_data.student_detail(EXERCISE2, labs["ana"])
    assert detail["steps"][0]["first_passed"] == 10.0 and detail["steps"][3]["hint"]
