"""Grades a whole class: one inventory per student, several labs at once.

Every lab is a row, whatever happens to it: a lab that cannot be reached or whose
inventory is broken is recorded with the reason, never raised.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from checker.boundary import clean_line
from checker.errors import LabcheckError
from checker.exercises import Exercise
from checker.gather import SshOptions, gather
from checker.grading import Report, grade
from checker.inventory import Inventory, load_inventory
from checker.labops import ResetPlan, apply_reset, plan_reset

PASSED, FAILED, UNREACHABLE, ERROR = "passed", "failed", "unreachable", "error"


@dataclass(frozen=True)
class StudentResult:
    student: str
    inventory: Path
    status: str  # passed | failed | unreachable | error
    report: Report | None
    detail: str  # why unreachable / error; empty otherwise
    seconds: float

    @property
    def score(self) -> int:
        return self.report.score if self.report else 0

    @property
    def max_score(self) -> int:
        return self.report.max_score if self.report else 0

    @property
    def class_score(self) -> float:
        """On the class scale (grading.CLASS_SCALE_RULE); a lab with no report scores 0."""
        return self.report.class_score if self.report else 0.0


def student_inventories(directory: Path) -> dict[str, Path]:
    """NAME.yaml (or .yml) in the folder -> student NAME, sorted by name.

    File names are a student's choice: the name shown is cleaned (boundary.clean_line), and
    two files that clean to the same name stay two rows."""
    if not directory.is_dir():
        raise LabcheckError(f"A pasta de inventários não existe: {directory}")
    found: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix not in {".yaml", ".yml"} or not path.is_file():
            continue
        name = clean_line(path.stem) or "_"
        unique, n = name, 1
        while unique in found:
            n += 1
            unique = f"{name} ({n})"
        found[unique] = path
    if not found:
        raise LabcheckError(f"Nenhum inventário (NOME.yaml) em {directory}.")
    return dict(sorted(found.items()))


def grade_student(student: str, path: Path, exercise: Exercise, ssh: SshOptions) -> StudentResult:
    started = time.perf_counter()
    try:
        inventory = load_inventory(path)
        facts, _ = gather(inventory, exercise.needs, ssh)
        report = grade(exercise, facts)
    except LabcheckError as exc:
        return StudentResult(student, path, ERROR, None, str(exc), time.perf_counter() - started)
    except Exception as exc:  # a labcheck bug this lab set off: its row says so, the class goes on
        if os.environ.get("LABCHECK_DEBUG"):
            traceback.print_exc()
        detail = (f"erro interno do labcheck ao corrigir este laboratório "
                  f"({type(exc).__name__}); rode labcheck {exercise.id} -i {path} com "
                  "LABCHECK_DEBUG=1 e relate o problema")
        return StudentResult(student, path, ERROR, None, detail, time.perf_counter() - started)
    detail = "; ".join(report.problems) if report.verdict in {UNREACHABLE, ERROR} else ""
    return StudentResult(student, path, report.verdict, report, detail,
                         time.perf_counter() - started)


def grade_class(
    exercise: Exercise,
    inventories: dict[str, Path],
    ssh: SshOptions,
    jobs: int = 4,
    on_done: Callable[[StudentResult], None] | None = None,
    stop: threading.Event | None = None,
) -> list[StudentResult]:
    """Grade every lab, at most `jobs` labs at a time (one SSH connection per node each),
    calling `on_done` in this thread as each finishes. Once `stop` is set, labs not started
    are dropped and those in flight end within --timeout; the result lists the finished."""
    results: dict[str, StudentResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        pending = {pool.submit(grade_student, name, path, exercise, ssh)
                   for name, path in inventories.items()}
        while pending and not (stop and stop.is_set()):
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()
                results[result.student] = result
                if on_done:
                    on_done(result)
        for future in pending:
            future.cancel()
    return [results[name] for name in inventories if name in results]


@dataclass(frozen=True)
class ResetItem:
    """One student's lab in a class reset: what would change, or why it cannot be reset."""

    student: str
    inventory: Inventory | None
    plan: ResetPlan | None
    error: LabcheckError | None


def plan_class_reset(exercise: Exercise, inventories: dict[str, Path], ssh: SshOptions,
                     jobs: int = 4) -> list[ResetItem]:
    def plan(item: tuple[str, Path]) -> ResetItem:
        name, path = item
        try:
            inventory = load_inventory(path)
            return ResetItem(name, inventory, plan_reset(exercise, inventory, ssh), None)
        except LabcheckError as exc:
            return ResetItem(name, None, None, exc)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(plan, inventories.items()))


def apply_class_reset(items: list[ResetItem], ssh: SshOptions,
                      jobs: int = 4) -> list[tuple[str, LabcheckError | None]]:
    """Restore every planned lab; (student, error or None) in the order given."""
    def apply(item: ResetItem) -> tuple[str, LabcheckError | None]:
        assert item.plan is not None and item.inventory is not None
        try:
            apply_reset(item.plan, item.inventory, ssh)
            return item.student, None
        except LabcheckError as exc:
            return item.student, exc

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(apply, items))
