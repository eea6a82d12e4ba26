"""The grading history: one SQLite file, versioned, safe for several writers and a kill."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker.errors import UsageError
from checker.history import SCHEMA_VERSION, History, default_db_path, migrate
from tests.unit.classdata import EXERCISE2, report

ROOT = Path(__file__).resolve().parents[2]


def test_attempts_best_first_pass_and_last_change(tmp_path: Path):
    db = tmp_path / "h.sqlite3"
    with History(db) as history:
        history.record(EXERCISE2, "ana", "watch", "failed", report(passed=1), graded_at=100.0)
        history.record(EXERCISE2, "ana", "watch", "failed", report(passed=1), graded_at=130.0)
        history.record(EXERCISE2, "ana", "watch", "failed", report(passed=3), graded_at=160.0)
        history.record(EXERCISE2, "ana", "class", "unreachable",
                       report(passed=1, error=("remoted-running", "same-authkey")),
                       "node3: sem rota", graded_at=190.0)
        history.record(EXERCISE2, "bruno", "student", "error", None, "YAML inválido",
                       graded_at=200.0)
        labs = history.summaries("exercise2")
    ana = labs["ana"]
    assert ana.attempts == 4 and ana.latest.status == "unreachable"
    assert ana.best == report(passed=3).class_score  # the best survives a lab that went down
    # the second reading changed nothing: "changed" is the last status change, at 190
    assert ana.changed_at == 190.0
    assert ana.first_passed == {"cluster-online": 100.0, "remoted-running": 160.0,
                                "remoted-enabled": 160.0}
    assert [s.status for s in ana.latest.steps][:3] == ["pass", "error", "fail"]
    assert ana.latest.detail == "node3: sem rota"
    bruno = labs["bruno"]
    assert (bruno.latest.score, bruno.latest.scale, bruno.latest.steps) == (0.0, 100, ())


def test_unchanged_readings_keep_the_time_of_the_change(tmp_path: Path):
    with History(tmp_path / "h.sqlite3") as history:
        for when in (10.0, 20.0, 30.0):
            history.record(EXERCISE2, "ana", "watch", "failed", report(passed=2), graded_at=when)
        assert history.summaries("exercise2")["ana"].changed_at == 10.0
        # a message that moves (a time, a count) is not a change; a status is
        history.record(EXERCISE2, "ana", "watch", "failed",
                       report(passed=2, messages={"cluster-online": "outro texto"}),
                       graded_at=40.0)
        assert history.summaries("exercise2")["ana"].changed_at == 10.0


def test_file_is_wal_and_versioned(tmp_path: Path):
    db = tmp_path / "sub" / "h.sqlite3"
    History(db).close()
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_newer_file_is_refused_untouched(tmp_path: Path):
    db = tmp_path / "h.sqlite3"
    raw = sqlite3.connect(db)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    before = db.read_bytes()
    with pytest.raises(UsageError, match="labcheck mais novo"):
        History(db)
    assert db.read_bytes() == before


def test_a_file_that_is_not_a_history_is_a_clear_error(tmp_path: Path):
    db = tmp_path / "notas.csv"
    db.write_text("aluno,nota\nana,10\n" * 200)
    with pytest.raises(UsageError, match="Não foi possível abrir o histórico"):
        History(db)
    with pytest.raises(UsageError, match="não existe"):
        History(tmp_path / "nada.sqlite3", readonly=True)


def test_migrations_run_one_version_per_transaction(tmp_path: Path):
    db = tmp_path / "h.sqlite3"
    with History(db) as history:
        history.record(EXERCISE2, "ana", "watch", "failed", report(passed=2))
    raw = sqlite3.connect(db, isolation_level=None)
    from checker.history import MIGRATIONS

    broken = (*MIGRATIONS, "ALTER TABLE attempt ADD COLUMN note TEXT; SELECT no_such_function()")
    with pytest.raises(sqlite3.OperationalError):
        migrate(raw, broken)
    # the failed step left nothing behind: same version, no half-added column
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert "note" not in [r[1] for r in raw.execute("PRAGMA table_info(attempt)")]
    good = (*MIGRATIONS, "ALTER TABLE attempt ADD COLUMN note TEXT")
    assert migrate(raw, good) == SCHEMA_VERSION + 1
    assert raw.execute("SELECT count(*) FROM attempt").fetchone()[0] == 1  # data kept


def test_default_path_follows_xdg_state_home(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("LABCHECK_DB", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_db_path() == tmp_path / "labcheck" / "history.sqlite3"
    monkeypatch.setenv("LABCHECK_DB", str(tmp_path / "x.db"))
    assert default_db_path() == tmp_path / "x.db"


WRITER = """
import sys, time
from checker.history import History
from tests.unit.classdata import EXERCISE2, report
name, count = sys.argv[1], int(sys.argv[2])
with History(__import__("pathlib").Path(sys.argv[3])) as h:
    i = 0
    while count < 0 or i < count:
        h.record(EXERCISE2, name, "watch", "failed", report(passed=i % 7))
        i += 1
        if count < 0:
            print(i, flush=True)
"""


def test_concurrent_writers_lose_nothing(tmp_path: Path):
    db = tmp_path / "h.sqlite3"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, name, "150", str(db)], cwd=ROOT,
                                stderr=subprocess.PIPE, text=True)
               for name in ("ana", "bruno", "carla")]
    for writer in writers:
        assert writer.wait(timeout=120) == 0, writer.stderr.read()
    with History(db) as history:
        labs = history.summaries("exercise2")
        assert {n: lab.attempts for n, lab in labs.items()} == {"ana": 150, "bruno": 150,
                                                                "carla": 150}
        total = history.db.execute("SELECT count(*) FROM attempt").fetchone()[0]
    assert total == 450


def test_a_killed_writer_leaves_a_consistent_file(tmp_path: Path):
    db = tmp_path / "h.sqlite3"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, "ana", "-1", str(db)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    deadline = time.monotonic() + 60
    while int(writer.stdout.readline() or 0) < 40 and time.monotonic() < deadline:
        pass
    os.kill(writer.pid, signal.SIGKILL)  # mid-run, most likely mid-transaction
    writer.wait(timeout=10)
    with History(db) as history:
        assert history.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = history.db.execute("SELECT count(*) FROM attempt").fetchone()[0]
        steps = history.db.execute("SELECT count(*) FROM step_result").fetchone()[0]
        lab = history.summaries("exercise2")["ana"]
    assert rows >= 40
    # every attempt is whole, and the summary counts exactly the attempts that exist
    assert steps == rows * len(EXERCISE2.steps)
    assert lab.attempts == rows
