"""Benchmark: memory and time of `labcheck class --jobs 8` when one node streams 1 GB.

Brings up two real namespace labs: a healthy one ("bm", graded as seven students) and a
hostile one ("bh", one student) whose node1 has a `cibadmin` that prints 1 GB and never a
CIB (a script in node1's own /usr/local/sbin, first in the probe's PATH). Runs
`labcheck class exercise2 --jobs 8` as a child process and prints its peak RSS (wait4's
ru_maxrss), its wall time and what the gradebook says of the hostile lab; with --uncapped it
also runs with --max-output 4096 (no practical cap) to show what the cap saves. Asserts
nothing; removes its labs at the end.

Usage: .venv/bin/python bench/hostile_memory.py [--stream-mb 1000] [--uncapped]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NSLAB = ROOT / "labs" / "nslab" / "nslab"
STATE = Path(os.environ.get("LABCHECK_NSLAB_DIR", "/var/tmp/labcheck-nslab"))
HEALTHY, HOSTILE = ("bm", "192.168.241"), ("bh", "192.168.242")
LIMIT_MB = 250


def nslab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(NSLAB), *args], check=True, capture_output=True, text=True)


def run_class(folder: Path, known: Path, out: Path, *extra: str) -> tuple[float, float, int]:
    """(peak RSS in MB, seconds, exit code) of one `labcheck class` run."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "checker", "class", "exercise2", "--inventories", str(folder),
         "--out", str(out), "--jobs", "8", *extra],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "LABCHECK_KNOWN_HOSTS": str(known)})
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, time.perf_counter() - started, child.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stream-mb", type=int, default=1000)
    parser.add_argument("--uncapped", action="store_true",
                        help="also run without a practical output cap, for comparison")
    args = parser.parse_args()
    tools = Path(tempfile.mkdtemp(prefix="labcheck-bench-tools-", dir="/var/tmp"))
    try:
        for name, subnet in (HEALTHY, HOSTILE):
            nslab("up", "--name", name, "--subnet", subnet)
        flood = tools / "cibadmin"
        flood.write_text(f"#!/bin/sh\nexec head -c {args.stream_mb * 1000 * 1000} /dev/zero\n")
        flood.chmod(0o755)
        nslab("exec", "--name", HOSTILE[0], "node1", "--", "mount", "--bind", str(tools),
              "/usr/local/sbin")
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "turma"
            folder.mkdir()
            for i in range(1, 8):
                shutil.copy(STATE / HEALTHY[0] / "inventory.yaml", folder / f"aluno{i}.yaml")
            shutil.copy(STATE / HOSTILE[0] / "inventory.yaml", folder / "hostil.yaml")
            known = Path(tmp) / "known_hosts"
            known.write_text("".join((STATE / n / "known_hosts").read_text()
                                     for n, _ in (HEALTHY, HOSTILE)))
            runs = [("limite padrão (32 MiB)", ())]
            if args.uncapped:
                runs.append(("sem limite prático (--max-output 4096)", ("--max-output", "4096")))
            print(f"labcheck class exercise2 --jobs 8: 7 laboratórios sãos e 1 cujo node1 manda "
                  f"{args.stream_mb} MB\n")
            print(f"{'execução':<40} {'RSS máx (MB)':>12} {'tempo (s)':>10} {'saída':>6}  "
                  "laboratório hostil na planilha")
            for label, extra in runs:
                out = Path(tmp) / f"notas-{len(extra)}"
                rss, seconds, code = run_class(folder, known, out, *extra)
                rows = {r["student"]: r for r in csv.DictReader((out / "exercise2.csv").open())}
                healthy = sum(1 for n, r in rows.items() if n != "hostil" and r["status"] == "failed")
                hostile = rows["hostil"]
                print(f"{label:<40} {rss:>12.0f} {seconds:>10.1f} {code:>6}  "
                      f"{hostile['status']}: {hostile['detail'][:90]}")
                print(f"{'':<40} {'':>12} {'':>10} {'':>6}  outros: {healthy}/7 corrigidos")
            print(f"\nmeta: RSS máx abaixo de {LIMIT_MB} MB com o limite padrão")
    finally:
        for name, _ in (HEALTHY, HOSTILE):
            subprocess.run([str(NSLAB), "down", "--name", name], capture_output=True)
        shutil.rmtree(tools, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
