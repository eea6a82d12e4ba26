"""Records labcheck's probe exchange with a real namespace Pacemaker lab, for bench/class_scale.py.

Brings up the namespace lab `bq` (192.168.226.0/24), grades it with labcheck's own
`checker.gather.gather` while a tap on the SSH channel keeps the exact bytes of the one exec
per node (command, script on stdin, stdout, stderr, exit status), first as `nslab up` leaves
it ("unsolved") and then after labs/solutions/EXERCISE.sh ("solved"). Each recording is saved
under bench/recordings/EXERCISE-STATE/ with the report labcheck gave on the real lab.

It then checks the replay: a fresh real grading must give the same report, and so must a
grading of an inventory pointing at the fake endpoints (fake_ssh.py) that serve the recording.
Takes the lab down at the end (unless --keep-lab).

Usage: .venv/bin/python bench/record_probes.py [--exercise exercise2] [--keep-lab]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko
from fake_ssh import fake_lab
from recording import (
    NodeExchange,
    Recording,
    report_summary,
    save_recording,
    summary_differences,
)

from checker.boundary import decode_node_output
from checker.exercises import load_exercise
from checker.gather import SshOptions, gather
from checker.grading import grade
from checker.inventory import load_inventory
from checker.transport import NodeSession

ROOT = Path(__file__).resolve().parents[1]
NSLAB = ROOT / "labs" / "nslab" / "nslab"
STATE_ROOT = Path(os.environ.get("LABCHECK_NSLAB_DIR", "/var/tmp/labcheck-nslab"))
LAB_NAME, LAB_SUBNET = "bq", "192.168.226"


# --- the tap on labcheck's own transport --------------------------------------------------

@dataclass
class _Capture:
    command: str = ""
    script: bytearray = field(default_factory=bytearray)
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)


@dataclass
class Tap:
    """What NodeSession.run_script sent and received, per node, as raw bytes."""

    captures: dict[str, list[tuple[_Capture, int, str]]] = field(default_factory=dict)
    connections: Counter[str] = field(default_factory=Counter)
    _local: threading.local = field(default_factory=threading.local)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _current(self) -> _Capture | None:
        return getattr(self._local, "capture", None)

    @contextlib.contextmanager
    def installed(self) -> Iterator[Tap]:
        """Wraps (never replaces) the methods labcheck's read of a node goes through."""
        originals: dict[tuple[type, str], Any] = {
            (cls, name): getattr(cls, name)
            for cls, name in ((NodeSession, "run_script"), (SshOptions, "connect"),
                              (paramiko.Channel, "exec_command"), (paramiko.Channel, "sendall"),
                              (paramiko.Channel, "recv"), (paramiko.Channel, "recv_stderr"))
        }
        tap = self

        def connect(options: SshOptions, host: Any, *args: Any, **kwargs: Any) -> NodeSession:
            with tap._lock:
                tap.connections[host.name] += 1
            return originals[(SshOptions, "connect")](options, host, *args, **kwargs)

        def run_script(session: NodeSession, script: str, *args: Any, **kwargs: Any) -> Any:
            capture = _Capture()
            tap._local.capture = capture
            try:
                result = originals[(NodeSession, "run_script")](session, script, *args, **kwargs)
            finally:
                tap._local.capture = None
            with tap._lock:
                tap.captures.setdefault(session.host.name, []).append(
                    (capture, result.exit_status, session.host.role))
            if decode_node_output(bytes(capture.stdout)) != result.stdout:
                raise RuntimeError(f"{session.host.name}: o stdout capturado difere do lido")
            return result

        def exec_command(channel: paramiko.Channel, command: str) -> None:
            if (capture := tap._current()) is not None:
                capture.command = command
            return originals[(paramiko.Channel, "exec_command")](channel, command)

        def sendall(channel: paramiko.Channel, data: bytes) -> None:
            if (capture := tap._current()) is not None:
                capture.script += data
            return originals[(paramiko.Channel, "sendall")](channel, data)

        def recv(channel: paramiko.Channel, nbytes: int) -> bytes:
            data = originals[(paramiko.Channel, "recv")](channel, nbytes)
            if (capture := tap._current()) is not None:
                capture.stdout += data
            return data

        def recv_stderr(channel: paramiko.Channel, nbytes: int) -> bytes:
            data = originals[(paramiko.Channel, "recv_stderr")](channel, nbytes)
            if (capture := tap._current()) is not None:
                capture.stderr += data
            return data

        wrappers = {"run_script": run_script, "connect": connect, "exec_command": exec_command,
                    "sendall": sendall, "recv": recv, "recv_stderr": recv_stderr}
        try:
            for cls, name in originals:
                setattr(cls, name, wrappers[name])
            yield self
        finally:
            for (cls, name), original in originals.items():
                setattr(cls, name, original)


# --- the real lab -------------------------------------------------------------------------

def nslab(*args: str) -> str:
    run = subprocess.run([str(NSLAB), *args], capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        raise RuntimeError(f"nslab {' '.join(args)} falhou:\n{run.stdout}{run.stderr}")
    return run.stdout


def node_command(name: str, node: str, command: str) -> str:
    return nslab("exec", "--name", name, node, "--", "sh", "-c", command).strip()


def solve(name: str, exercise: str) -> None:
    env = {**os.environ, "LAB_KIND": "nslab", "NSLAB_NAME": name}
    script = ROOT / "labs" / "solutions" / f"{exercise}.sh"
    run = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True,
                         timeout=300)
    if run.returncode != 0:
        raise RuntimeError(f"{script} falhou:\n{run.stdout}{run.stderr}")


def lab_versions(name: str) -> dict[str, str]:
    return {
        "pacemakerd --version": node_command(name, "node1", "pacemakerd --version | head -n 1"),
        "corosync -v": node_command(name, "node1", "corosync -v | head -n 1"),
        "pacemaker-remoted --version": node_command(
            name, "node3", "pacemaker-remoted --version 2>/dev/null | head -n 1 || true"),
        "/etc/debian_version": node_command(name, "node1", "cat /etc/debian_version"),
    }


def git_describe() -> str:
    run = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "checker"],
                           capture_output=True, text=True).stdout.strip()
    return run.stdout.strip() + (" (checker/ com alterações locais)" if dirty else "")


# --- recording ----------------------------------------------------------------------------

def record_state(exercise_id: str, state: str, inventory: Path, known_hosts: Path,
                 versions: dict[str, str]) -> Recording:
    exercise = load_exercise(exercise_id)
    ssh = SshOptions(known_hosts=known_hosts)
    tap = Tap()
    with tap.installed():
        facts, _ = gather(load_inventory(inventory), exercise.needs, ssh)
    report = grade(exercise, facts)
    nodes = {}
    for node, captures in tap.captures.items():
        if len(captures) != 1:
            raise RuntimeError(f"{node}: {len(captures)} execs, esperado 1")
        capture, status, role = captures[0]
        nodes[node] = NodeExchange(node, role, capture.command, bytes(capture.script),
                                   bytes(capture.stdout), bytes(capture.stderr), status)
    meta = {
        "recorded_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "lab": f"labs/nslab/nslab, --name {LAB_NAME} --subnet {LAB_SUBNET}",
        "labcheck": git_describe(),
        "versions": versions,
        "real_round_trips": {n: {"connections": tap.connections[n], "execs": len(c)}
                             for n, c in sorted(tap.captures.items())},
        "expected": report_summary(report),
    }
    return Recording(exercise_id, state, nodes, meta)


def grade_summary(exercise_id: str, inventory: Path, known_hosts: Path) -> dict[str, Any]:
    exercise = load_exercise(exercise_id)
    facts, _ = gather(load_inventory(inventory), exercise.needs, SshOptions(known_hosts=known_hosts))
    return report_summary(grade(exercise, facts))


def verify(recording: Recording, inventory: Path, known_hosts: Path) -> list[str]:
    """Differences from the recorded report: a fresh real grading, then one on the replay."""
    problems = [f"real: {p}" for p in summary_differences(
        grade_summary(recording.exercise, inventory, known_hosts), recording.expected)]
    with tempfile.TemporaryDirectory(prefix="labcheck-bench-") as tmp, \
            fake_lab(recording, Path(tmp), workers=1) as lab:
        fake_inventory = lab.write_inventories(Path(tmp) / "turma", 1)[0]
        got = grade_summary(recording.exercise, fake_inventory, lab.known_hosts)
        problems += [f"réplica: {p}" for p in summary_differences(got, recording.expected)]
        counts = lab.servers.counters.snapshot()
    for node, count in counts.items():
        if count["execs"] != 1 or count["connections"] != 1 or count["script_mismatch"]:
            problems.append(f"réplica: {node}: {count}")
    return problems


def record_all(exercise: str, states: list[str], keep_lab: bool) -> int:
    state_dir = STATE_ROOT / LAB_NAME
    inventory, known_hosts = state_dir / "inventory.yaml", state_dir / "known_hosts"
    print(f"subindo o laboratório {LAB_NAME} ({LAB_SUBNET}.0/24)...", flush=True)
    nslab("up", "--name", LAB_NAME, "--subnet", LAB_SUBNET)
    failures = 0
    try:
        nslab("reset", "--name", LAB_NAME)
        versions = lab_versions(LAB_NAME)
        print(f"  {versions['pacemakerd --version']}, {versions['corosync -v']}")
        for state in ("unsolved", "solved"):
            if state == "solved":
                print(f"aplicando labs/solutions/{exercise}.sh...", flush=True)
                solve(LAB_NAME, exercise)
            if state not in states:
                continue
            recording = record_state(exercise, state, inventory, known_hosts, versions)
            folder = save_recording(recording)
            expected = recording.expected
            print(f"gravado {folder.relative_to(ROOT)}: {expected['verdict']}, "
                  f"{expected['score']}/{expected['max_score']} pontos")
            problems = verify(recording, inventory, known_hosts)
            failures += bool(problems)
            print("  conferência: " + ("; ".join(problems) if problems else
                                        "mesmo relatório no laboratório real e na réplica"))
    finally:
        if not keep_lab:
            nslab("down", "--name", LAB_NAME)
            print(f"laboratório {LAB_NAME} removido")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default="exercise2")
    parser.add_argument("--states", default="unsolved,solved",
                        help="quais estados gravar (padrão: unsolved,solved)")
    parser.add_argument("--keep-lab", action="store_true", help="não derruba o laboratório")
    args = parser.parse_args(argv)
    return record_all(args.exercise, args.states.split(","), args.keep_lab)


if __name__ == "__main__":
    sys.exit(main())
