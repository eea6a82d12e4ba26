"""Benchmark: what grading a class of 10 → 200 labs costs labcheck itself (the grader side).

Every lab of the class is an inventory whose three nodes are fake SSH endpoints on 127.0.0.1
(fake_ssh.py) that answer labcheck's one exec per node with probe output recorded on a real
namespace Pacemaker lab (record_probes.py, bench/recordings/). The nodes take no time to run
the probes, so what is left is labcheck's own work per lab: three SSH connections (TCP,
key exchange, host key check, public key authentication), one exec each, reading and parsing
the output (CIB and crm_mon XML), and judging the exercise, `--jobs` labs at a time, as
`checker.classroom.grade_class` does for `labcheck class`. Writing the gradebook (CSV, JSON,
HTML) is not measured.

Each class size is graded in a fresh Python process, so its peak RSS belongs to that size
alone. The fake servers are separate processes (a pool of --workers): their CPU is not the
grader's, and it is reported beside it, as are the SSH connections and execs they saw per node,
and the CPU the rest of the machine used meanwhile (other jobs make wall times noisy; the CPU
per lab much less so).

An instructor's known_hosts grows with the class, so its size could be part of the cost (it
was: labcheck parsed the whole file on every connection until this benchmark showed 600
entries taking 5x the CPU per lab; it now parses it once per version of the file). By default
each class size gets a known_hosts like an instructor's (one entry per node of every lab,
3 × N), and the sizes are run once more with only the 3 entries of the fake endpoints to show
what the file's size still costs (--no-compare skips it).

Prints a table and a conclusion; asserts nothing.

Usage: .venv/bin/python bench/class_scale.py [--sizes 10,25,50,100,200] [--jobs 16]
       [--exercise exercise2] [--state solved] [--workers 4] [--runs 3]
       [--known-hosts turma|minimo] [--no-compare]
       .venv/bin/python bench/class_scale.py --record   (re-records, with a real lab)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fake_ssh import FakeLab, fake_lab
from recording import Recording, load_recording, report_summary

DEFAULT_SIZES = "10,25,50,100,200"
DEFAULT_JOBS = 16
DEFAULT_WORKERS = 4
DEFAULT_RUNS = 3


# --- the grader, in its own process (one per class size) ----------------------------------

def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def machine_busy_s() -> float:
    """CPU seconds all processes of the machine have used since boot (from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def grade_once(size: int, folder: Path, known_hosts: Path, jobs: int, exercise_id: str,
               state: str) -> dict[str, Any]:
    """Grade the first `size` inventories of `folder`; what it cost this process."""
    from checker.classroom import grade_class, student_inventories
    from checker.exercises import load_exercise
    from checker.gather import SshOptions

    exercise = load_exercise(exercise_id)
    expected = load_recording(exercise_id, state).expected
    inventories = dict(list(student_inventories(folder).items())[:size])
    ssh = SshOptions(known_hosts=known_hosts)
    rss_before = _rss_kib()
    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    busy_before = machine_busy_s()
    started = time.perf_counter()
    results = grade_class(exercise, inventories, ssh, jobs)
    wall = time.perf_counter() - started
    busy = machine_busy_s() - busy_before
    usage = resource.getrusage(resource.RUSAGE_SELF)
    same = sum(1 for r in results if r.report and report_summary(r.report) == expected)
    return {
        "labs": len(results),
        "wall_s": wall,
        "user_s": usage.ru_utime - usage_before.ru_utime,
        "sys_s": usage.ru_stime - usage_before.ru_stime,
        "machine_busy_s": busy,
        "rss_before_kib": rss_before,
        "peak_rss_kib": usage.ru_maxrss,  # KiB on Linux
        "lab_seconds": sorted(r.seconds for r in results),
        "verdicts": dict(Counter(r.status for r in results)),
        "same_report": same,
        "detail": sorted({r.detail for r in results if r.detail})[:3],
    }


# --- the orchestrator ---------------------------------------------------------------------

@dataclass(frozen=True)
class SizeRun:
    size: int
    grader: dict[str, Any]
    server_cpu_s: float
    counts: dict[str, dict[str, int]]  # node -> counter -> delta during this size
    known_hosts_entries: int
    spread: float = 0.0  # (slowest - fastest) / median wall of the runs of this size

    @property
    def wall(self) -> float:
        return self.grader["wall_s"]

    @property
    def labs_per_s(self) -> float:
        return self.size / self.wall

    @property
    def cpu_s(self) -> float:
        return self.grader["user_s"] + self.grader["sys_s"]

    @property
    def cpu_ms_per_lab(self) -> float:
        return 1000 * self.cpu_s / self.size

    @property
    def peak_mib(self) -> float:
        return self.grader["peak_rss_kib"] / 1024

    @property
    def growth_kib_per_lab(self) -> float:
        return (self.grader["peak_rss_kib"] - self.grader["rss_before_kib"]) / self.size

    @property
    def server_ms_per_lab(self) -> float:
        return 1000 * self.server_cpu_s / self.size

    def per_node(self, counter: str) -> float:
        return sum(c[counter] for c in self.counts.values()) / (self.size * len(self.counts))

    def total(self, counter: str) -> int:
        return sum(c[counter] for c in self.counts.values())

    @property
    def median_lab_s(self) -> float:
        return statistics.median(self.grader["lab_seconds"])

    @property
    def machine_busy(self) -> float:
        """The whole machine's CPU over the wall time, as a fraction of all CPUs."""
        return self.grader["machine_busy_s"] / self.wall / (os.cpu_count() or 1)

    @property
    def others_busy(self) -> float:
        """CPU of processes that are neither the grader nor the fake servers, same scale."""
        others = self.grader["machine_busy_s"] - self.cpu_s - self.server_cpu_s
        return max(0.0, others) / self.wall / (os.cpu_count() or 1)


def _counter_delta(before: dict[str, dict[str, int]],
                   after: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {node: {k: after[node][k] - before[node][k] for k in after[node]} for node in after}


def class_known_hosts(lab: FakeLab, path: Path, size: int) -> int:
    """A known_hosts as an instructor's would be for a class of `size` labs: one entry per
    node of every lab (the other labs' nodes at made-up addresses, each with its own new
    key), the fake endpoints' entries last. Returns the number of entries."""
    lines = []
    for student in range(1, size):
        for node in range(1, len(lab.roles) + 1):
            public = Ed25519PrivateKey.generate().public_key().public_bytes(
                serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
            lines.append(f"10.{student // 200}.{student % 200}.{10 + node} {public}\n")
    own = lab.known_hosts.read_text(encoding="ascii")
    path.write_text("".join(lines) + own, encoding="ascii")
    return len(lines) + len(own.splitlines())


def run_size(size: int, lab: FakeLab, folder: Path, known_hosts: Path,
             args: argparse.Namespace) -> SizeRun:
    entries = len(known_hosts.read_text(encoding="ascii").splitlines())
    before, cpu_before = lab.servers.counters.snapshot(), lab.servers.cpu_seconds()
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(size), "--child-folder", str(folder),
         "--child-known-hosts", str(known_hosts), "--jobs", str(args.jobs),
         "--exercise", args.exercise, "--state", args.state],
        capture_output=True, text=True, timeout=600)
    if child.returncode != 0:
        raise RuntimeError(f"o corretor falhou com {size} laboratórios:\n{child.stderr}")
    grader = json.loads(child.stdout.strip().splitlines()[-1])
    after, cpu_after = lab.servers.counters.snapshot(), lab.servers.cpu_seconds()
    return SizeRun(size, grader, cpu_after - cpu_before, _counter_delta(before, after), entries)


def median_runs(size: int, lab: FakeLab, folder: Path, known_hosts: list[Path],
                args: argparse.Namespace) -> list[SizeRun]:
    """`args.runs` runs of one size per known_hosts, each in a fresh process, interleaved (so
    a change in the machine's other load hits all of them alike); per known_hosts, the run of
    median wall time."""
    done: list[list[SizeRun]] = [[] for _ in known_hosts]
    for _ in range(max(1, args.runs)):
        for runs, path in zip(done, known_hosts, strict=True):
            runs.append(run_size(size, lab, folder, path, args))
    chosen = []
    for runs in done:
        runs.sort(key=lambda r: r.wall)
        walls = ", ".join(_fmt(r.wall, 2) for r in runs)
        print(f"  ... {size} laboratórios, known_hosts de {runs[0].known_hosts_entries} entradas: "
              f"{walls} s", file=sys.stderr, flush=True)
        middle = runs[len(runs) // 2]
        chosen.append(replace(middle, spread=(runs[-1].wall - runs[0].wall) / middle.wall))
    return chosen


# --- printing -----------------------------------------------------------------------------

def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def _pct(value: float) -> str:
    return _fmt(100 * value, 0)


def print_header(args: argparse.Namespace, recording: Recording) -> None:
    versions = recording.meta.get("versions", {})
    print("Custo do corretor (labcheck) ao corrigir uma turma — servidores SSH falsos com "
          "saída gravada")
    print(f"  exercício {args.exercise} ({args.state}: "
          f"{recording.expected['verdict']}, {recording.expected['score']}/"
          f"{recording.expected['max_score']}), gravado em {recording.meta.get('recorded_at')} "
          f"de {versions.get('pacemakerd --version', '?')}")
    print(f"  --jobs {args.jobs} (laboratórios ao mesmo tempo; 3 nós por laboratório), "
          f"{args.workers} processos de servidor SSH falso, 1 porta por nó (node1/node2/node3)")
    print(f"  máquina: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"paramiko {paramiko.__version__}")
    kind = ("da turma: 3 entradas por laboratório" if args.known_hosts == "turma"
            else "mínimo: só as 3 entradas dos servidores falsos")
    print(f"  known_hosts {kind}")
    print(f"  cada tamanho: {args.runs} execução(ões), cada uma num processo Python novo; a "
          "tabela mostra a de tempo mediano")
    print(flush=True)


COLUMNS = (
    ("labs", 5), ("known_h.", 8), ("tempo s", 8), ("var. %", 6), ("labs/s", 7),
    ("mediana s/lab", 13), ("CPU ms/lab", 10), ("núcleos corr.", 13), ("RSS pico MiB", 12),
    ("KiB/lab", 8), ("CPU falso ms/lab", 16), ("máquina %", 9), ("outros %", 8),
    ("conex./nó", 9), ("execs/nó", 8), ("relat. iguais", 13),
)


def _row(run: SizeRun) -> list[str]:
    return [
        str(run.size), str(run.known_hosts_entries), _fmt(run.wall, 2), _pct(run.spread),
        _fmt(run.labs_per_s), _fmt(run.median_lab_s, 3), _fmt(run.cpu_ms_per_lab),
        _fmt(run.cpu_s / run.wall, 2), _fmt(run.peak_mib), _fmt(run.growth_kib_per_lab),
        _fmt(run.server_ms_per_lab), _pct(run.machine_busy), _pct(run.others_busy),
        _fmt(run.per_node("connections"), 2), _fmt(run.per_node("execs"), 2),
        f"{run.grader['same_report']}/{run.size}",
    ]


def print_table(runs: list[SizeRun]) -> None:
    print("  ".join(name.rjust(width) for name, width in COLUMNS))
    for run in runs:
        cells = zip(_row(run), COLUMNS, strict=True)
        print("  ".join(cell.rjust(width) for cell, (_, width) in cells))
    print()
    print("known_h.: entradas do known_hosts; tempo s: parede de grade_class; var. %: (mais lenta − "
          "mais rápida) ÷ mediana das execuções;")
    print("mediana s/lab: de cada laboratório, do início ao relatório; CPU ms/lab: "
          "getrusage(RUSAGE_SELF) user+sys do corretor ÷ labs;")
    print("núcleos corr.: CPU do corretor ÷ parede; RSS pico: ru_maxrss do processo do corretor "
          "(um processo novo por tamanho);")
    print("KiB/lab: (pico − RSS antes de corrigir) ÷ labs; CPU falso: user+sys dos servidores "
          "falsos (/proc) ÷ labs;")
    print("máquina %: CPU de toda a máquina (/proc/stat) ÷ parede ÷ CPUs; outros %: a parte dela "
          "que não é do corretor nem dos servidores falsos;")
    print("conex./nó e execs/nó: contados nos servidores falsos; relat. iguais: relatórios "
          "idênticos ao do laboratório real (passos, mensagens, nota).")
    print()


def print_anomalies(runs: list[SizeRun]) -> None:
    for run in runs:
        notes = []
        for counter in ("other_requests", "script_mismatch", "auth_refused"):
            if run.total(counter):
                notes.append(f"{counter}={run.total(counter)}")
        if abs(run.per_node("execs") - 1) > 1e-9:
            notes.append(f"execs por nó = {run.per_node('execs'):.2f} (esperado 1)")
        if run.grader["same_report"] != run.size:
            notes.append(f"vereditos {run.grader['verdicts']} {run.grader['detail']}")
        if notes:
            print(f"  atenção, {run.size} labs: " + "; ".join(notes))


def _ratio(last: float, first: float) -> str:
    return _fmt(last / first, 2) + "×" if first else "—"


def rss_slope(first: SizeRun, last: SizeRun) -> float:
    """KiB of peak RSS per extra lab between two class sizes."""
    return (last.grader["peak_rss_kib"] - first.grader["peak_rss_kib"]) / (last.size - first.size)


def print_growth(first: SizeRun, last: SizeRun) -> None:
    print(f"Crescimento de {first.size} para {last.size} laboratórios "
          f"({_fmt(last.size / first.size, 0)}× mais laboratórios):")
    lines = [
        ("tempo de parede", _ratio(last.wall, first.wall)),
        ("laboratórios por segundo", _ratio(last.labs_per_s, first.labs_per_s)),
        ("CPU do corretor por laboratório", _ratio(last.cpu_ms_per_lab, first.cpu_ms_per_lab)),
        ("mediana do tempo de um laboratório", _ratio(last.median_lab_s, first.median_lab_s)),
        ("RSS de pico", _ratio(last.peak_mib, first.peak_mib)
         + f" (inclinação: {_fmt(rss_slope(first, last))} KiB por laboratório a mais)"),
        ("CPU dos servidores falsos por laboratório",
         _ratio(last.server_ms_per_lab, first.server_ms_per_lab)),
    ]
    for name, value in lines:
        print(f"  {name}: {value}")
    print()


def print_comparison(runs: list[SizeRun], minimal: list[SizeRun]) -> None:
    print("O mesmo, com o known_hosts mínimo (3 entradas) — quanto do custo vem de ler o "
          "known_hosts da turma:")
    print(f"{'labs':>5}  {'tempo s':>8}  {'labs/s':>7}  {'CPU ms/lab':>10}  "
          f"{'CPU ms/lab c/ known_hosts da turma':>34}  {'diferença ms/lab':>16}")
    for full, small in zip(runs, minimal, strict=True):
        print(f"{small.size:>5}  {_fmt(small.wall, 2):>8}  {_fmt(small.labs_per_s):>7}  "
              f"{_fmt(small.cpu_ms_per_lab):>10}  {_fmt(full.cpu_ms_per_lab):>34}  "
              f"{_fmt(full.cpu_ms_per_lab - small.cpu_ms_per_lab):>16}")
    print()


def conclusion(runs: list[SizeRun], minimal: list[SizeRun], jobs: int, workers: int) -> str:
    first, last = runs[0], runs[-1]
    cpus = os.cpu_count() or 1
    per_lab = last.cpu_ms_per_lab
    cores = last.cpu_s / last.wall
    execs = sorted({round(r.per_node("execs"), 2) for r in runs})
    conns = sorted({round(r.per_node("connections"), 2) for r in runs})
    text = (
        f"Com --jobs {jobs}, o labcheck corrigiu {_fmt(last.labs_per_s)} laboratórios por segundo "
        f"numa turma de {last.size}: uma rodada da turma inteira leva {_fmt(last.wall)} s "
        f"(a de {first.size} laboratórios, {_fmt(first.wall, 2)} s, a "
        f"{_fmt(first.labs_per_s)} laboratórios/s). Cada laboratório custa ao corretor "
        f"{_fmt(per_lab)} ms de CPU (≈ {_fmt(per_lab / 3)} ms por nó: conexão SSH, troca de "
        f"chaves, verificação da chave de host, autenticação, um exec, leitura da CIB e do "
        f"crm_mon), {_ratio(per_lab, first.cpu_ms_per_lab)} o custo por laboratório da turma de "
        f"{first.size}; o pico de memória vai de {_fmt(first.peak_mib)} para "
        f"{_fmt(last.peak_mib)} MiB (≈ {_fmt(rss_slope(first, last))} KiB por laboratório a mais). "
        f"Os servidores falsos contaram {' / '.join(_fmt(e, 2) for e in execs)} exec por nó e "
        f"{' / '.join(_fmt(c, 2) for c in conns)} conexão SSH por nó. "
    )
    if minimal:
        small = minimal[-1]
        text += (
            f"Com o known_hosts da turma ({last.known_hosts_entries} entradas), a CPU por "
            f"laboratório é {_fmt(per_lab)} ms, contra {_fmt(small.cpu_ms_per_lab)} ms com 3 "
            f"entradas: o tamanho do arquivo custa "
            f"{_fmt(max(0.0, per_lab - small.cpu_ms_per_lab))} ms por laboratório. "
        )
    text += f"O corretor usou {_fmt(cores, 2)} núcleo em média na turma de {last.size}"
    text += (
        " — perto do teto de um processo Python só (o GIL o limita a cerca de um núcleo): "
        "mais --jobs não aumentaria a vazão. "
        if cores > 0.75 else
        " — abaixo do teto de um núcleo de um processo Python (GIL): ele esperou CPU ou rede. "
    )
    text += (
        f"Os servidores falsos gastaram {_fmt(last.server_ms_per_lab)} ms de CPU por laboratório "
        f"({_fmt(last.server_cpu_s / last.wall, 2)} núcleo, repartido em {workers} processos), "
        f"com as {cpus} CPUs ocupadas no máximo em "
        f"{_pct(max(r.machine_busy for r in runs))}%"
    )
    others = max(r.others_busy for r in runs)
    text += (f"; outros processos da máquina usaram até {_pct(others)}% delas. "
             if others > 0.05 else ". ")
    if max(r.machine_busy for r in runs) > 0.9:
        text += (
            f"Como a máquina ficou saturada, o tempo de parede é pessimista; com uma CPU só para "
            f"ele o teto seria ≈ {_fmt(1000 / per_lab)} laboratórios/s (1 s ÷ CPU por "
            f"laboratório). "
        )
    else:
        text += (f"Sobrou CPU na máquina: o lado falso não foi o gargalo, o próprio corretor "
                 f"(≈ {_fmt(1000 / per_lab)} laboratórios/s por núcleo) é. ")
    text += (
        "Numa turma real, some o tempo que os nós levam para rodar as sondas (cibadmin, "
        "crm_mon: aqui é zero), que se sobrepõe entre os --jobs laboratórios simultâneos."
    )
    return text


# --- entry points -------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES,
                        help=f"tamanhos de turma (padrão: {DEFAULT_SIZES})")
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS,
                        help=f"laboratórios corrigidos ao mesmo tempo (padrão: {DEFAULT_JOBS})")
    parser.add_argument("--exercise", default="exercise2")
    parser.add_argument("--state", default="solved", choices=("solved", "unsolved"),
                        help="qual gravação responder (padrão: solved)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help=f"processos de servidor SSH falso (padrão: {DEFAULT_WORKERS})")
    parser.add_argument("--known-hosts", choices=("turma", "minimo"), default="turma",
                        help="turma: 3 entradas por laboratório, como o known_hosts do instrutor "
                             "(padrão); minimo: só as 3 dos servidores falsos")
    parser.add_argument("--no-compare", dest="compare", action="store_false",
                        help="não repete os tamanhos com o known_hosts mínimo")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS,
                        help=f"execuções por tamanho; vale a de tempo mediano (padrão: {DEFAULT_RUNS})")
    parser.add_argument("--record", action="store_true",
                        help="grava de novo as saídas num laboratório real (record_probes.py)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-known-hosts", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_benchmark(args: argparse.Namespace) -> int:
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    recording = load_recording(args.exercise, args.state)
    print_header(args, recording)
    runs, minimal = [], []
    with tempfile.TemporaryDirectory(prefix="labcheck-bench-") as tmp, \
            fake_lab(recording, Path(tmp), args.workers) as lab:
        folder = Path(tmp) / "turma"
        lab.write_inventories(folder, max(sizes))
        for size in sizes:
            known_hosts = [lab.known_hosts]
            if args.known_hosts == "turma":
                known_hosts = [Path(tmp) / f"known_hosts-{size}"]
                class_known_hosts(lab, known_hosts[0], size)
                if args.compare:
                    known_hosts.append(lab.known_hosts)
            chosen = median_runs(size, lab, folder, known_hosts, args)
            runs.append(chosen[0])
            minimal += chosen[1:]
    print_table(runs)
    print_anomalies(runs + minimal)
    if len(runs) > 1:
        print_growth(runs[0], runs[-1])
    if minimal:
        print_comparison(runs, minimal)
    print("Conclusão: " + conclusion(runs, minimal, args.jobs, args.workers))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        print(json.dumps(grade_once(args.child, args.child_folder, args.child_known_hosts,
                                    args.jobs, args.exercise, args.state)))
        return 0
    if args.record:
        import record_probes

        return record_probes.main(["--exercise", args.exercise])
    return run_benchmark(args)


if __name__ == "__main__":
    sys.exit(main())
