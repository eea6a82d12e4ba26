"""Benchmark: how the cost of `labcheck class` grows with the class.

Brings up N real namespace labs (default 8: "c1".."c8" on 192.168.231-238.0/24), grades
1, 2, 4 and 8 of them with exercise 2, one lab at a time (--jobs 1) and all at once
(--jobs = labs), and prints wall time and labs per second (median of --runs). Asserts
nothing; removes its labs at the end.

Usage: .venv/bin/python bench/class_scaling.py [--labs 8] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nslabs import inventory, namespace_labs  # noqa: E402  (this folder)

from checker.classroom import grade_class  # noqa: E402
from checker.exercises import load_exercise  # noqa: E402
from checker.gather import SshOptions  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labs", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with namespace_labs(args.labs) as (names, known):
        print()
        ssh = SshOptions(known_hosts=known)
        exercise = load_exercise("exercise2")
        print(f"{'labs':>4} {'--jobs':>6} {'tempo (s)':>10} {'labs/s':>8}")
        sizes = [n for n in (1, 2, 4, 8, 16) if n <= args.labs]
        for size in sizes:
            inventories = {n: inventory(n) for n in names[:size]}
            for jobs in sorted({1, size}):
                times = []
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    results = grade_class(exercise, inventories, ssh, jobs)
                    times.append(time.perf_counter() - t0)
                    assert all(r.status == "failed" for r in results), results
                wall = statistics.median(times)
                print(f"{size:>4} {jobs:>6} {wall:>10.2f} {size / wall:>8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
