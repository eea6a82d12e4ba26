"""Benchmark: SSH round trips per node and wall time of grading, against a real lab.

Compares labcheck's way (all probes of an exercise in one exec per node) with a baseline
that sends one SSH command per check, as a grader made of `ssh node cmd` lines would
(a new connection each time). Prints a table; asserts nothing.

Usage: .venv/bin/python bench/roundtrips.py [--runs N] [--keep-lab] [--solve "4 5"]
It starts its own namespace lab ("bench", 192.168.221.0/24), runs the reference solutions of
exercises 4 and 5 on it (so their probes read a custom agent's meta-data, the site on the
virtual IP and HAProxy's statistics, not an empty lab) and removes the lab afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checker.exercises import available, load_exercise  # noqa: E402
from checker.gather import SshOptions, gather  # noqa: E402
from checker.grading import grade  # noqa: E402
from checker.inventory import load_inventory  # noqa: E402
from checker.probes import build_script, probes_for  # noqa: E402
from checker.transport import NodeSession  # noqa: E402

NSLAB = ROOT / "labs" / "nslab" / "nslab"
LAB, SUBNET = "bench", "192.168.221"
STATE = Path("/var/tmp/labcheck-nslab") / LAB


def labcheck_way(inventory, exercise, ssh) -> tuple[float, dict[str, int], dict[str, int]]:
    started = time.perf_counter()
    facts, readings = gather(inventory, exercise.needs, ssh)
    grade(exercise, facts)
    trips = {name: r.round_trips for name, r in readings.items()}
    conns = {name: int(r.round_trips > 0) for name, r in readings.items()}
    return time.perf_counter() - started, trips, conns


def per_check_baseline(inventory, exercise, ssh) -> tuple[float, dict[str, int], dict[str, int]]:
    """One new connection and one command per check and node that the check reads."""
    trips = {h.name: 0 for h in inventory.hosts}
    started = time.perf_counter()
    for step in exercise.steps:
        for host in inventory.hosts:
            probes = probes_for(step.check.needs, host.role)
            if not probes:
                continue
            with NodeSession.connect(host, ssh.known_hosts) as session:
                session.run_script(build_script(probes, {"LABCHECK_PEERS": ""})[0])
                trips[host.name] += session.round_trips
    return time.perf_counter() - started, trips, dict(trips)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep-lab", action="store_true")
    parser.add_argument("--solve", default="4 5",
                        help="exercícios cuja solução roda antes da medição (padrão: 4 5)")
    args = parser.parse_args()
    subprocess.run([str(NSLAB), "up", "--name", LAB, "--subnet", SUBNET], check=True,
                   capture_output=True)
    try:
        for number in args.solve.split():
            subprocess.run(["bash", str(ROOT / "labs" / "solutions" / f"exercise{number}.sh")],
                           check=True, capture_output=True,
                           env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LAB_KIND": "nslab",
                                "NSLAB_NAME": LAB})
        if args.solve.split():
            print(f"soluções aplicadas antes de medir: exercícios {args.solve}")
        inventory = load_inventory(STATE / "inventory.yaml")
        ssh = SshOptions(known_hosts=STATE / "known_hosts")
        print(f"lab: {LAB} ({len(inventory.hosts)} nós) · {args.runs} execuções, mediana\n")
        header = (f"{'exercício':<10} {'modo':<22} {'idas/nó':>12} {'conexões/nó':>12} "
                  f"{'tempo (s)':>10} {'razão':>7}")
        print(header)
        print("-" * len(header))
        for name in available():
            exercise = load_exercise(name)
            rows = {}
            for mode, run in (("labcheck (1 exec/nó)", labcheck_way),
                              ("baseline (1 ssh/check)", per_check_baseline)):
                times, trips, conns = [], {}, {}
                for _ in range(args.runs):
                    seconds, trips, conns = run(inventory, exercise, ssh)
                    times.append(seconds)
                rows[mode] = (statistics.median(times), trips, conns)
            fast = rows["labcheck (1 exec/nó)"][0]
            for mode, (seconds, trips, conns) in rows.items():
                per_node = "/".join(str(trips[h.name]) for h in inventory.hosts)
                per_conn = "/".join(str(conns[h.name]) for h in inventory.hosts)
                print(f"{name:<10} {mode:<22} {per_node:>12} {per_conn:>12} {seconds:>10.2f} "
                      f"{seconds / fast:>6.1f}x")
        print("\nidas/nó: comandos SSH (exec) por nó, na ordem",
              " ".join(h.name for h in inventory.hosts))
    finally:
        if not args.keep_lab:
            subprocess.run([str(NSLAB), "down", "--name", LAB], capture_output=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
