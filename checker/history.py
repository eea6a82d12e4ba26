"""The grading history: every attempt of every lab, kept in one SQLite file.

- Where: `--db FILE`, else $LABCHECK_DB, else $XDG_STATE_HOME/labcheck/history.sqlite3
  (~/.local/state/labcheck/ when XDG_STATE_HOME is unset).
- Safe to share: WAL journal, so the board reads while the watcher writes, and several
  labcheck processes (a watcher, a `class` run, a student's --record) can write to one file;
  a writer waits for another's short transaction instead of failing.
- Nothing half-written: one attempt is one transaction. A watcher killed mid-round loses at
  most the lab it was grading; SQLite rolls the unfinished transaction back on next open.
- Versioned: the schema version is PRAGMA user_version; MIGRATIONS[n] takes a file from
  version n to n + 1, in one transaction. A file from a newer labcheck is refused, not touched.

Besides the attempts, two small tables are kept up to date in the same transaction, so the
board and `class history` never rescan every attempt: `lab` (latest attempt, best score, when
the result last changed) and `first_pass` (when each step first passed).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from checker.checks import Status
from checker.errors import UsageError
from checker.exercises import Exercise, Step
from checker.grading import Report

ENV_DB = "LABCHECK_DB"
ORIGINS = ("watch", "class", "student")
# A writer waits this long for another writer's transaction before giving up.
BUSY_TIMEOUT_S = 30.0

_V1 = """
CREATE TABLE attempt (
    id          INTEGER PRIMARY KEY,
    exercise    TEXT    NOT NULL,
    student     TEXT    NOT NULL,
    graded_at   REAL    NOT NULL,              -- Unix time, UTC
    origin      TEXT    NOT NULL,              -- watch | class | student
    status      TEXT    NOT NULL,              -- passed | failed | unreachable | error
    score       REAL    NOT NULL,              -- on the class scale (grading.CLASS_SCALE_RULE)
    scale       INTEGER NOT NULL,              -- the exercise's full points
    raw_points  INTEGER NOT NULL,              -- points of the judged steps, as the student saw
    raw_max     INTEGER NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '',   -- why unreachable / error
    problems    TEXT    NOT NULL DEFAULT '[]', -- JSON list: nodes not read, CIB not read
    fingerprint TEXT    NOT NULL               -- the verdict and each step's status
);
CREATE INDEX attempt_by_lab ON attempt (exercise, student, id);
CREATE TABLE step_result (
    attempt_id INTEGER NOT NULL REFERENCES attempt (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    step       TEXT    NOT NULL,
    status     TEXT    NOT NULL,               -- pass | fail | skip | error
    points     INTEGER NOT NULL,
    message    TEXT    NOT NULL,
    hint       TEXT    NOT NULL,
    PRIMARY KEY (attempt_id, position)
) WITHOUT ROWID;
CREATE TABLE lab (
    exercise     TEXT    NOT NULL,
    student      TEXT    NOT NULL,
    last_attempt INTEGER NOT NULL REFERENCES attempt (id),
    attempts     INTEGER NOT NULL,
    best         REAL    NOT NULL,
    changed_at   REAL    NOT NULL,             -- when the fingerprint last changed
    fingerprint  TEXT    NOT NULL,
    PRIMARY KEY (exercise, student)
) WITHOUT ROWID;
CREATE TABLE first_pass (
    exercise   TEXT    NOT NULL,
    student    TEXT    NOT NULL,
    step       TEXT    NOT NULL,
    passed_at  REAL    NOT NULL,
    attempt_id INTEGER NOT NULL REFERENCES attempt (id),
    PRIMARY KEY (exercise, student, step)
) WITHOUT ROWID;
"""

# MIGRATIONS[n] brings a file from user_version n to n + 1.
MIGRATIONS: tuple[str, ...] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)


def default_db_path() -> Path:
    if os.environ.get(ENV_DB):
        return Path(os.environ[ENV_DB])
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "labcheck" / "history.sqlite3"


@dataclass(frozen=True)
class StepRow:
    step: str
    status: str
    points: int
    message: str
    hint: str


@dataclass(frozen=True)
class Attempt:
    id: int
    exercise: str
    student: str
    graded_at: float
    origin: str
    status: str
    score: float
    scale: int
    raw_points: int
    raw_max: int
    detail: str
    problems: tuple[str, ...]
    steps: tuple[StepRow, ...]

    def statuses(self) -> dict[str, str]:
        """Step id -> pass | fail | skip | error."""
        return {row.step: row.status for row in self.steps}

    def pending(self, exercise: Exercise) -> list[tuple[int, Step]]:
        """The required steps not passed, numbered from 1 as the report numbers them; a step
        this lab could not check (skip) is not pending."""
        statuses = self.statuses()
        done = {Status.PASS.value, Status.SKIP.value}
        return [(number, step) for number, step in enumerate(exercise.steps, 1)
                if step.required and statuses.get(step.id) not in done]


@dataclass(frozen=True)
class LabSummary:
    """One student's lab for one exercise, as the history has it."""

    student: str
    attempts: int
    best: float
    changed_at: float
    latest: Attempt
    first_passed: dict[str, float]  # step id -> when it first passed


def fingerprint(status: str, step_statuses: Iterable[tuple[str, str]]) -> str:
    """What "the result changed" means: the verdict or a step's status, not a message's
    wording (a message may name a time or a count that moves on every reading)."""
    text = json.dumps([status, sorted(step_statuses)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _missing(path: Path) -> UsageError:
    return UsageError(f"O histórico {path} não existe: nenhuma correção foi gravada ainda "
                      "(rode labcheck class ou labcheck class watch, ou diga --db).")


class History:
    """A connection to the history file; use one per thread."""

    @classmethod
    def existing(cls, path: Path) -> History:
        """An existing history, brought to this schema; a missing file is a UsageError
        (reading one must not create it)."""
        if not path.is_file():
            raise _missing(path)
        return cls(path)

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        try:
            if readonly:
                if not path.is_file():
                    raise _missing(path)
                self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                          timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                          check_same_thread=False)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self.db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self.db.execute("PRAGMA foreign_keys = ON")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise UsageError(f"O histórico {path} foi gravado por um labcheck mais novo "
                                 f"(esquema {version}; este entende até {SCHEMA_VERSION}). "
                                 "Atualize o labcheck ou use outro arquivo com --db.")
            if not readonly:
                # WAL: readers never block the writer. synchronous=NORMAL keeps every
                # committed attempt if the process is killed (only an OS crash could lose the
                # last ones), at one fsync per checkpoint instead of per attempt.
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = NORMAL")
                migrate(self.db)
            elif version < SCHEMA_VERSION:
                raise UsageError(f"O histórico {path} é de uma versão antiga: abra-o uma vez com "
                                 "labcheck class history para atualizá-lo.")
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"Não foi possível abrir o histórico {path}: {exc} "
                             "(é um arquivo SQLite do labcheck? escolha outro com --db)") from None
        except OSError as exc:
            raise UsageError(f"Não foi possível criar o histórico {path}: "
                             f"{exc.strerror or exc}.") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    def record(self, exercise: Exercise, student: str, origin: str, status: str,
               report: Report | None, detail: str = "", graded_at: float | None = None) -> int:
        """Store one attempt and update the lab's summary, in one transaction; its id."""
        if origin not in ORIGINS:
            raise ValueError(origin)
        when = time.time() if graded_at is None else graded_at
        scale = exercise.points
        if report is not None:
            rows = [(r.step.id, r.status.value, r.points, r.outcome.message, r.hint)
                    for r in report.results]
            score, raw_points, raw_max = report.class_score, report.score, report.max_score
            problems = list(report.problems)
        else:
            rows, score, raw_points, raw_max, problems = [], 0.0, 0, 0, []
        mark = fingerprint(status, [(step, st) for step, st, *_ in rows])
        try:
            self.db.execute("BEGIN IMMEDIATE")
            cursor = self.db.execute(
                "INSERT INTO attempt (exercise, student, graded_at, origin, status, score, scale,"
                " raw_points, raw_max, detail, problems, fingerprint)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (exercise.id, student, when, origin, status, score, scale, raw_points, raw_max,
                 detail, json.dumps(problems, ensure_ascii=False), mark))
            attempt_id = int(cursor.lastrowid or 0)
            self.db.executemany(
                "INSERT INTO step_result (attempt_id, position, step, status, points, message,"
                " hint) VALUES (?,?,?,?,?,?,?)",
                [(attempt_id, i, *row) for i, row in enumerate(rows)])
            previous = self.db.execute(
                "SELECT fingerprint, changed_at FROM lab WHERE exercise = ? AND student = ?",
                (exercise.id, student)).fetchone()
            changed_at = previous[1] if previous and previous[0] == mark else when
            self.db.execute(
                "INSERT INTO lab (exercise, student, last_attempt, attempts, best, changed_at,"
                " fingerprint) VALUES (?,?,?,1,?,?,?)"
                " ON CONFLICT (exercise, student) DO UPDATE SET last_attempt = excluded.last_attempt,"
                " attempts = attempts + 1, best = max(best, excluded.best),"
                " changed_at = excluded.changed_at, fingerprint = excluded.fingerprint",
                (exercise.id, student, attempt_id, score, changed_at, mark))
            self.db.executemany(
                "INSERT OR IGNORE INTO first_pass (exercise, student, step, passed_at, attempt_id)"
                " VALUES (?,?,?,?,?)",
                [(exercise.id, student, step, when, attempt_id)
                 for step, st, *_ in rows if st == Status.PASS.value])
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        return attempt_id

    # -- reading ---------------------------------------------------------------------------

    def attempt(self, attempt_id: int) -> Attempt:
        row = self.db.execute(
            "SELECT id, exercise, student, graded_at, origin, status, score, scale, raw_points,"
            " raw_max, detail, problems FROM attempt WHERE id = ?", (attempt_id,)).fetchone()
        steps = tuple(StepRow(*r) for r in self.db.execute(
            "SELECT step, status, points, message, hint FROM step_result WHERE attempt_id = ?"
            " ORDER BY position", (attempt_id,)))
        return Attempt(*row[:11], problems=tuple(json.loads(row[11])), steps=steps)

    def best_attempt(self, exercise: str, student: str) -> Attempt:
        """The highest score; among equals, the latest."""
        row = self.db.execute(
            "SELECT id FROM attempt WHERE exercise = ? AND student = ?"
            " ORDER BY score DESC, id DESC LIMIT 1", (exercise, student)).fetchone()
        return self.attempt(row[0])

    def summaries(self, exercise: str, students: Sequence[str] | None = None
                  ) -> dict[str, LabSummary]:
        """Each graded lab of the exercise (only `students`, when given)."""
        firsts: dict[str, dict[str, float]] = {}
        for student, step, passed_at in self.db.execute(
                "SELECT student, step, passed_at FROM first_pass WHERE exercise = ?", (exercise,)):
            firsts.setdefault(student, {})[step] = passed_at
        wanted = None if students is None else set(students)
        found = {}
        for student, last, attempts, best, changed_at in self.db.execute(
                "SELECT student, last_attempt, attempts, best, changed_at FROM lab"
                " WHERE exercise = ? ORDER BY student", (exercise,)):
            if wanted is not None and student not in wanted:
                continue
            found[student] = LabSummary(student, attempts, best, changed_at, self.attempt(last),
                                        firsts.get(student, {}))
        return found


def migrate(db: sqlite3.Connection, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Bring the file to len(migrations), one version per transaction; the version reached.

    BEGIN IMMEDIATE takes the write lock before the version is read, so two labcheck
    processes opening a new file at once do not both create the tables."""
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version >= len(migrations):
                db.execute("COMMIT")
                return version
            for statement in migrations[version].split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
