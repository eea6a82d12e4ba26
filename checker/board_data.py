"""What the class board shows, as plain data: built from the history, no I/O of its own.

The page (checker/board_static/) renders these dicts with textContent only, so everything a
node sent reaches the screen as text. Times are Unix seconds; the page turns them into "há
3 min" against `now`, the server's clock, so a projector with a wrong clock still reads right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from checker.checks import Status
from checker.exercises import Exercise
from checker.grading import CLASS_SCALE_RULE
from checker.history import Attempt, LabSummary
from checker.watch import RoundState

SCHEMA = "labcheck.board/1"

# One cell of the students x steps matrix.
CELL_PASS, CELL_FAIL, CELL_SKIP = "pass", "fail", "skip"
CELL_UNREACHABLE, CELL_ERROR, CELL_WAITING = "unreachable", "error", "waiting"


def cell(attempt: Attempt, step_status: str) -> str:
    """A step of one attempt as the board shows it: an error on a lab whose node did not
    answer is "inacessível", not a failure of the student's."""
    if step_status == Status.ERROR.value:
        return CELL_UNREACHABLE if attempt.status == "unreachable" else CELL_ERROR
    return step_status


def stuck_at(exercise: Exercise, attempt: Attempt) -> str | None:
    """The first required step not passed (a skip is not a block): where the student is.
    None for a lab that could not be read: where it stands is unknown, and it is counted
    apart, as inaccessible."""
    if attempt.status in {"unreachable", "error"}:
        return None
    pending = attempt.pending(exercise)
    return pending[0][1].id if pending else None


def student_row(exercise: Exercise, name: str, lab: LabSummary | None) -> dict:
    if lab is None:
        return {"student": name, "status": CELL_WAITING, "score": None, "best": None,
                "attempts": 0, "graded_at": None, "changed_at": None, "stuck_at": None,
                "cells": [CELL_WAITING] * len(exercise.steps), "first_passed": {}, "detail": ""}
    latest = lab.latest
    statuses = latest.statuses()
    return {
        "student": name,
        "status": latest.status,
        "score": latest.score,
        "best": lab.best,
        "attempts": lab.attempts,
        "graded_at": latest.graded_at,
        "changed_at": lab.changed_at,
        "stuck_at": stuck_at(exercise, latest),
        # a step with no row (no report at all) is as unread as an error
        "cells": [cell(latest, statuses.get(s.id, Status.ERROR.value)) for s in exercise.steps],
        "first_passed": dict(lab.first_passed),
        "detail": latest.detail or "; ".join(latest.problems),
    }


def board(exercise: Exercise, students: Sequence[str], labs: Mapping[str, LabSummary],
          rounds: RoundState, now: float) -> dict:
    rows = [student_row(exercise, name, labs.get(name)) for name in students]
    steps = []
    for index, step in enumerate(exercise.steps):
        steps.append({
            "id": step.id, "number": index + 1, "title": step.title, "points": step.points,
            "required": step.required,
            "passed": sum(1 for r in rows if r["cells"][index] == CELL_PASS),
            "stuck": sum(1 for r in rows if r["stuck_at"] == step.id),
        })
    graded = [r for r in rows if r["status"] != CELL_WAITING]
    return {
        "schema": SCHEMA,
        "now": now,
        "exercise": {"id": exercise.id, "title": exercise.title,
                     "scale": exercise.points},
        "scale_rule": CLASS_SCALE_RULE,
        "round": {"number": rounds.number, "started_at": rounds.started_at or None,
                  "finished_at": rounds.finished_at, "next_at": rounds.next_at,
                  "graded": rounds.graded, "total": rounds.total, "every": rounds.every,
                  "problem": rounds.problem, "stopped": rounds.stopped},
        "steps": steps,
        "students": rows,
        "counts": {status: sum(1 for r in graded if r["status"] == status)
                   for status in ("passed", "failed", "unreachable", "error")}
                  | {"waiting": len(rows) - len(graded)},
    }


def student_detail(exercise: Exercise, lab: LabSummary) -> dict:
    """One student's latest report, with each step's hint and when it first passed."""
    latest = lab.latest
    by_step = {row.step: row for row in latest.steps}
    steps = []
    for index, step in enumerate(exercise.steps):
        row = by_step.get(step.id)
        steps.append({
            "number": index + 1, "id": step.id, "title": step.title,
            "points": row.points if row else 0, "max_points": step.points,
            "required": step.required,
            "cell": cell(latest, row.status) if row else cell(latest, Status.ERROR.value),
            "message": row.message if row else "",
            "hint": row.hint if row else "",
            "first_passed": lab.first_passed.get(step.id),
        })
    return {"schema": SCHEMA, "student": lab.student, "status": latest.status,
            "score": latest.score, "scale": latest.scale, "best": lab.best,
            "attempts": lab.attempts, "graded_at": latest.graded_at,
            "changed_at": lab.changed_at, "detail": latest.detail,
            "problems": list(latest.problems), "steps": steps}
