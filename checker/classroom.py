"""Grades a whole class: one inventory per student, several labs at once.

Every lab is a row, whatever happens to it: a lab that cannot be reached or whose
inventory is broken is recorded with the reason, never raised.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from checker.errors import LabcheckError
from checker.exercises import Exercise
from checker.gather import SshOptions, gather
from checker.grading import Report, grade
from checker.inventory import load_inventory

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


def student_inventories(directory: Path) -> dict[str, Path]:
    """NAME.yaml (or .yml) in the folder -> student NAME, sorted by name."""
    if not directory.is_dir():
        raise LabcheckError(f"A pasta de inventários não existe: {directory}")
    found = {p.stem: p for p in directory.iterdir() if p.suffix in {".yaml", ".yml"}
             and p.is_file()}
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
    detail = "; ".join(report.problems) if report.verdict in {UNREACHABLE, ERROR} else ""
    return StudentResult(student, path, report.verdict, report, detail,
                         time.perf_counter() - started)


def grade_class(
    exercise: Exercise,
    inventories: dict[str, Path],
    ssh: SshOptions,
    jobs: int = 4,
    on_done: Callable[[StudentResult], None] | None = None,
) -> list[StudentResult]:
    """Grade every lab, at most `jobs` labs at a time (one SSH connection per node each)."""
    results: dict[str, StudentResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(grade_student, name, path, exercise, ssh)
                   for name, path in inventories.items()]
        for future in as_completed(futures):
            result = future.result()
            results[result.student] = result
            if on_done:
                on_done(result)
    return [results[name] for name in inventories]
