"""Benchmark: what one poll of the class board costs as the class grows, and the history's size.

The board's page asks /api/board every 2 s; each answer reads the latest attempt of every
student from the history and builds the board (checker/board_data.py). This fills a
throwaway history with N students x A attempts of exercise 2 (results made from the
exercise's own steps, a different mix of passed/failed steps per attempt: no lab is read
here; bench/class_scale.py measures the grading) and prints, for N = 10 .. 200:
the time to build the board (median of 20), its JSON size, and the history's bytes per attempt.

Usage: .venv/bin/python bench/board_cost.py [--attempts 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checker import board_data  # noqa: E402
from checker.checks import Outcome, Status  # noqa: E402
from checker.exercises import load_exercise  # noqa: E402
from checker.grading import Report, StepResult  # noqa: E402
from checker.history import History  # noqa: E402
from checker.watch import RoundState  # noqa: E402


def attempt_report(exercise, passed: int) -> Report:
    results = []
    for index, step in enumerate(exercise.steps):
        status = Status.PASS if index < passed else Status.FAIL
        results.append(StepResult(step, Outcome(status, f"{step.title}: {status.value} " * 3,
                                                None if status is Status.PASS else "dica " * 20)))
    return Report(exercise, tuple(results), "turma/aluno.yaml")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=30)
    args = parser.parse_args()
    exercise = load_exercise("exercise2")
    print(f"{'alunos':>6} {'correções':>10} {'quadro (ms)':>12} {'JSON (KiB)':>11} "
          f"{'gravar 1 (ms)':>14} {'bytes/correção':>15}")
    for size in (10, 25, 50, 100, 200):
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "h.sqlite3"
            names = [f"aluno{i:03d}" for i in range(size)]
            writes = []
            with History(db) as history:
                for attempt in range(args.attempts):
                    for i, name in enumerate(names):
                        started = time.perf_counter()
                        history.record(exercise, name, "watch", "failed",
                                       attempt_report(exercise, (attempt + i) % 8),
                                       graded_at=1_800_000_000.0 + attempt * 30)
                        writes.append(time.perf_counter() - started)
                history.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            builds, body = [], b""
            for _ in range(20):
                started = time.perf_counter()
                with History(db, readonly=True) as history:
                    labs = history.summaries(exercise.id, names)
                data = board_data.board(exercise, names, labs, RoundState(number=1), time.time())
                body = json.dumps(data, ensure_ascii=False).encode()
                builds.append(time.perf_counter() - started)
            per_attempt = db.stat().st_size / (size * args.attempts)
            print(f"{size:>6} {size * args.attempts:>10} {1000 * statistics.median(builds):>12.1f} "
                  f"{len(body) / 1024:>11.1f} {1000 * statistics.median(writes):>14.2f} "
                  f"{per_attempt:>15.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
