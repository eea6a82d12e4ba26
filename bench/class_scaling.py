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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checker.classroom import grade_class  # noqa: E402
from checker.exercises import load_exercise  # noqa: E402
from checker.gather import SshOptions  # noqa: E402

NSLAB = ROOT / "labs" / "nslab" / "nslab"
STATE = Path("/var/tmp/labcheck-nslab")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labs", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    names = [f"c{i}" for i in range(1, args.labs + 1)]
    started = time.perf_counter()
    try:
        for i, name in enumerate(names):
            subprocess.run([str(NSLAB), "up", "--name", name, "--subnet", f"192.168.{231 + i}"],
                           check=True, capture_output=True)
        print(f"{args.labs} laboratórios no ar em {time.perf_counter() - started:.0f} s\n")
        with tempfile.TemporaryDirectory() as tmp:
            known = Path(tmp) / "known_hosts"
            known.write_text("".join((STATE / n / "known_hosts").read_text() for n in names))
            ssh = SshOptions(known_hosts=known)
            exercise = load_exercise("exercise2")
            print(f"{'labs':>4} {'--jobs':>6} {'tempo (s)':>10} {'labs/s':>8}")
            sizes = [n for n in (1, 2, 4, 8, 16) if n <= args.labs]
            for size in sizes:
                inventories = {n: STATE / n / "inventory.yaml" for n in names[:size]}
                for jobs in sorted({1, size}):
                    times = []
                    for _ in range(args.runs):
                        t0 = time.perf_counter()
                        results = grade_class(exercise, inventories, ssh, jobs)
                        times.append(time.perf_counter() - t0)
                        assert all(r.status == "failed" for r in results), results
                    wall = statistics.median(times)
                    print(f"{size:>4} {jobs:>6} {wall:>10.2f} {size / wall:>8.1f}")
    finally:
        for name in names:
            subprocess.run([str(NSLAB), "down", "--name", name], capture_output=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
