"""Grades a class again and again, recording every attempt in the history as it finishes.

The board (checker/board.py) only reads the history; this loop only writes it. A round
grades every inventory of the folder (read again each round, so a student who hands in an
inventory late appears), at most `jobs` labs at a time, each node bounded in time as in
`labcheck class`. The next round starts `every` seconds after the previous one started, or
right after it ended when grading took longer.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from checker.classroom import StudentResult, grade_class, student_inventories
from checker.errors import LabcheckError
from checker.exercises import Exercise
from checker.gather import SshOptions
from checker.history import History


@dataclass(frozen=True)
class RoundState:
    """What the board says about the loop itself."""

    number: int = 0               # rounds started so far
    started_at: float = 0.0
    finished_at: float | None = None
    next_at: float | None = None
    graded: int = 0               # labs graded in the current round
    total: int = 0                # labs in the current round
    students: tuple[str, ...] = ()
    problem: str = ""             # why the inventories could not be read, if so
    every: float = 30.0
    stopped: bool = False


@dataclass
class Watcher:
    exercise: Exercise
    inventories: Path
    ssh: SshOptions
    db_path: Path
    every: float = 30.0
    jobs: int = 4
    _state: RoundState = field(default_factory=RoundState)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def state(self) -> RoundState:
        with self._lock:
            return self._state

    def _update(self, **changes: object) -> None:
        with self._lock:
            self._state = replace(self._state, **changes)  # type: ignore[arg-type]

    def show_students(self, students: tuple[str, ...]) -> None:
        self._update(students=students)

    def run(self) -> None:
        """Rounds until `stop` is set. Never raises for a lab: each lab's failure is a row."""
        self._update(every=self.every)
        with History(self.db_path) as history:
            while not self.stop.is_set():
                started = time.time()
                self.run_round(history)
                next_at = max(started + self.every, time.time())
                self._update(finished_at=time.time(), next_at=next_at)
                self.stop.wait(max(0.0, next_at - time.time()))
        self._update(stopped=True, next_at=None)

    def run_round(self, history: History) -> list[StudentResult]:
        try:
            labs = student_inventories(self.inventories)
        except LabcheckError as exc:  # the folder went away or emptied: say it, keep trying
            self._update(number=self.state.number + 1, started_at=time.time(), problem=str(exc))
            return []
        self._update(number=self.state.number + 1, started_at=time.time(), finished_at=None,
                     next_at=None, graded=0, total=len(labs), students=tuple(labs), problem="")

        def done(result: StudentResult) -> None:
            self._update(graded=self.state.graded + 1)
            # recorded as soon as it is known: the board shows it on its next poll
            try:
                history.record(self.exercise, result.student, "watch", result.status,
                               result.report, result.detail)
            except sqlite3.Error as exc:  # disk full, file removed: say it, go on
                self._update(problem=f"não foi possível gravar no histórico "
                                     f"{self.db_path}: {exc}")

        return grade_class(self.exercise, labs, self.ssh, self.jobs, done, self.stop)
