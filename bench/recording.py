"""Recorded probe exchanges: what labcheck sent to each node of a real lab and what came back.

One recording is a folder `bench/recordings/EXERCISE-STATE/` holding, per node, the exact
bytes of the exchange of labcheck's single exec:

  NODE.script   what labcheck wrote on the channel's stdin (the probe script)
  NODE.stdout   what the node sent on stdout, byte for byte
  NODE.stderr   what the node sent on stderr, byte for byte

and `meta.json` with the command of the exec, each node's exit status and role, the marker
token of the recorded run, where and how it was recorded, and the report labcheck gave on the
real lab (`expected`), so a replay can be checked against it.

The marker (`@@labcheck-` and 16 random hex digits, see checker/probes.py) changes on every
run: a replay answers with the recorded stdout in which the recorded token is replaced by the
token of the script it just received (same length, nothing else changes).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.grading import Report

RECORDINGS = Path(__file__).resolve().parent / "recordings"
MARKER_RE = re.compile(rb"@@labcheck-[0-9a-f]{16}")


@dataclass(frozen=True)
class NodeExchange:
    """One node's side of the single exec: request and answer, as bytes."""

    node: str
    role: str
    command: str
    script: bytes
    stdout: bytes
    stderr: bytes
    exit_status: int

    @property
    def marker(self) -> bytes:
        found = MARKER_RE.search(self.script)
        return found.group() if found else b""

    def answer_for(self, script: bytes) -> bytes:
        """The recorded stdout, with the marker of `script` in place of the recorded one."""
        found = MARKER_RE.search(script)
        if not found or not self.marker:
            return self.stdout
        return self.stdout.replace(self.marker, found.group())

    def same_request(self, script: bytes) -> bool:
        """Whether `script` is the recorded script but for its marker."""
        return MARKER_RE.sub(b"M", script) == MARKER_RE.sub(b"M", self.script)


@dataclass(frozen=True)
class Recording:
    exercise: str
    state: str
    nodes: dict[str, NodeExchange]
    meta: dict[str, Any]

    @property
    def expected(self) -> dict[str, Any]:
        return self.meta["expected"]


def recording_dir(exercise: str, state: str) -> Path:
    return RECORDINGS / f"{exercise}-{state}"


def save_recording(recording: Recording) -> Path:
    folder = recording_dir(recording.exercise, recording.state)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    nodes_meta = {}
    for name, ex in sorted(recording.nodes.items()):
        (folder / f"{name}.script").write_bytes(ex.script)
        (folder / f"{name}.stdout").write_bytes(ex.stdout)
        (folder / f"{name}.stderr").write_bytes(ex.stderr)
        nodes_meta[name] = {"role": ex.role, "command": ex.command, "exit_status": ex.exit_status,
                            "marker": ex.marker.decode(), "stdout_bytes": len(ex.stdout),
                            "stderr_bytes": len(ex.stderr), "script_bytes": len(ex.script)}
    meta = {**recording.meta, "exercise": recording.exercise, "state": recording.state,
            "nodes": nodes_meta}
    (folder / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    return folder


def load_recording(exercise: str, state: str) -> Recording:
    folder = recording_dir(exercise, state)
    meta_file = folder / "meta.json"
    if not meta_file.exists():
        raise FileNotFoundError(
            f"sem gravação em {folder}; grave com: .venv/bin/python bench/record_probes.py "
            f"--exercise {exercise}")
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    nodes = {
        name: NodeExchange(
            node=name, role=info["role"], command=info["command"],
            script=(folder / f"{name}.script").read_bytes(),
            stdout=(folder / f"{name}.stdout").read_bytes(),
            stderr=(folder / f"{name}.stderr").read_bytes(),
            exit_status=info["exit_status"],
        )
        for name, info in meta["nodes"].items()
    }
    return Recording(exercise, state, nodes, meta)


def report_summary(report: Report) -> dict[str, Any]:
    """What two gradings of the same lab must agree on: verdict, score and every step."""
    return {
        "verdict": report.verdict,
        "score": report.score,
        "max_score": report.max_score,
        "steps": [[r.step.id, str(r.status), r.outcome.message] for r in report.results],
    }


def summary_differences(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    """Human-readable differences between two report summaries (empty: same report)."""
    problems = [f"{key}: {got.get(key)!r} != {want.get(key)!r}"
                for key in ("verdict", "score", "max_score") if got.get(key) != want.get(key)]
    for mine, theirs in zip(got.get("steps", []), want.get("steps", []), strict=False):
        if mine != theirs:
            problems.append(f"passo {theirs[0]}: {mine[1:]} != {theirs[1:]}")
    if len(got.get("steps", [])) != len(want.get("steps", [])):
        problems.append("número de passos diferente")
    return problems
