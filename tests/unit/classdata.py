"""Grading reports for the history, export and board tests, built from the grader's own
types (checker.grading): these tests are about storing and showing results, not about
reading a cluster, which tests/cluster does against real Pacemaker."""

from __future__ import annotations

from checker.checks import Outcome, Status
from checker.exercises import Exercise, load_exercise
from checker.grading import Report, StepResult

EXERCISE2 = load_exercise("exercise2")


def report(exercise: Exercise = EXERCISE2, passed: int = 0, skip: tuple[str, ...] = (),
           error: tuple[str, ...] = (), unreachable: tuple[str, ...] = (),
           messages: dict[str, str] | None = None) -> Report:
    """The first `passed` steps pass, the rest fail; `skip`/`error` name steps by id."""
    results = []
    for index, step in enumerate(exercise.steps):
        if step.id in skip:
            status = Status.SKIP
        elif step.id in error:
            status = Status.ERROR
        else:
            status = Status.PASS if index < passed else Status.FAIL
        message = (messages or {}).get(step.id, f"{step.id}: {status.value}")
        results.append(StepResult(step, Outcome(status, message, "faça X" if status is not
                                                Status.PASS else None)))
    return Report(exercise, tuple(results), "turma/aluno.yaml", unreachable)
