"""Grades out of the history, for an LMS: Moodle's CSV import, a per-step CSV, and JSON.

Renderers of the same data (one `Grade` per student and exercise), never a new grading path.
Which attempt counts is the instructor's choice: the best one (default: what the student
achieved on the real lab, even if the lab was reset or went down later) or the latest.

Moodle (grade/import/csv, "Importar notas → arquivo CSV") reads the first row as column
names, identifies each row's user by the column the instructor maps to e-mail, ID number or
username, and stops the whole import at the first row whose user it cannot find; a blank
identifier is a broken row. So a row is written only for a student the roster names with
that identifier; everyone else is listed apart, never silently left out.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from checker.checks import Status
from checker.class_report import csv_cell, number
from checker.errors import UsageError
from checker.exercises import Exercise
from checker.grading import CLASS_SCALE_RULE
from checker.history import Attempt, History
from checker.roster import RosterEntry, roster_identifiers

SCHEMA = "labcheck.export/1"
PICKS = ("best", "latest")
FORMATS = ("moodle", "steps", "json")


@dataclass(frozen=True)
class Grade:
    exercise: Exercise
    student: str
    attempt: Attempt          # the one that counts (best or latest)
    latest: Attempt
    best: float
    attempts: int
    first_passed: dict[str, float]


@dataclass
class Export:
    """What goes out, and who does not, and why."""

    exercises: list[Exercise]
    pick: str
    grades: list[Grade] = field(default_factory=list)
    roster: dict[str, RosterEntry] | None = None
    never_graded: dict[str, list[str]] = field(default_factory=dict)  # exercise -> students
    not_in_roster: list[str] = field(default_factory=list)
    # in the roster, but without the identifier column chosen for Moodle (set by to_moodle)
    missing_identifier: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """pt-BR lines for the instructor: everyone the export leaves out."""
        lines = []
        for exercise_id, names in self.never_graded.items():
            if names:
                lines.append(f"{exercise_id}: nunca corrigido(s), sem nota: {', '.join(names)}")
        if self.not_in_roster:
            lines.append("corrigido(s) mas fora da lista da turma (--roster), sem linha no "
                         f"Moodle: {', '.join(self.not_in_roster)}")
        if self.missing_identifier:
            lines.append("na lista da turma sem o identificador escolhido, sem linha no "
                         f"Moodle: {', '.join(self.missing_identifier)}")
        return lines


def collect(history: History, exercises: Sequence[Exercise], pick: str,
            roster: dict[str, RosterEntry] | None) -> Export:
    if pick not in PICKS:
        raise UsageError(f"--pick precisa ser um de: {', '.join(PICKS)}.")
    export = Export(list(exercises), pick, roster=roster)
    graded_anywhere: set[str] = set()
    for exercise in exercises:
        labs = history.summaries(exercise.id)
        graded_anywhere.update(labs)
        for name, lab in labs.items():
            chosen = lab.latest if pick == "latest" else history.best_attempt(exercise.id, name)
            export.grades.append(Grade(exercise, name, chosen, lab.latest, lab.best,
                                       lab.attempts, lab.first_passed))
        if roster is not None:
            export.never_graded[exercise.id] = sorted(set(roster) - set(labs))
    if roster is not None:
        export.not_in_roster = sorted(graded_anywhere - set(roster))
    export.grades.sort(key=lambda g: (g.student, exercises.index(g.exercise)))
    return export


def iso(when: float | None) -> str:
    if when is None:
        return ""
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def feedback(grade: Grade, pick: str) -> str:
    """Plain-language feedback from the exercise's own titles (nothing a lab sent)."""
    attempt, exercise = grade.attempt, grade.exercise
    statuses = attempt.statuses()
    pending = [f"{i}. {s.title}" for i, s in attempt.pending(exercise)]
    unchecked = [f"{i}. {s.title}" for i, s in enumerate(exercise.steps, 1)
                 if statuses.get(s.id) == Status.SKIP.value]
    which = "melhor correção" if pick == "best" else "última correção"
    parts = [f"labcheck, {which} ({iso(attempt.graded_at)}): {number(attempt.score)} de "
             f"{attempt.scale}."]
    if attempt.status == "unreachable":
        parts.append("O laboratório estava inacessível nessa correção.")
    elif attempt.status == "error":
        parts.append("O laboratório não pôde ser lido nessa correção.")
    if pending:
        parts.append("Passos pendentes: " + "; ".join(pending) + ".")
    elif attempt.status in {"passed", "failed"}:
        parts.append("Todos os passos obrigatórios cumpridos.")
    if unchecked:
        parts.append("Não verificável(is) neste laboratório (fora da nota): "
                     + "; ".join(unchecked) + ".")
    return " ".join(parts)


def require_roster(roster: dict[str, RosterEntry] | None) -> dict[str, RosterEntry]:
    if roster is None:
        raise UsageError("O formato moodle precisa da lista da turma: --roster turma.csv "
                         "(colunas student e email, idnumber ou username).")
    return roster


def to_moodle(export: Export, id_column: str | None = None) -> str:
    roster = require_roster(export.roster)
    available = roster_identifiers(roster)
    column = id_column or (available[0] if available else None)
    if column is None or column not in available:
        raise UsageError(f"A lista da turma não tem a coluna {column or 'de identificação'} "
                         f"preenchida; tem: {', '.join(available) or 'nenhuma'}.")
    by_student: dict[str, dict[str, Grade]] = {}
    for grade in export.grades:
        by_student.setdefault(grade.student, {})[grade.exercise.id] = grade
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = [column]
    for exercise in export.exercises:
        header += [f"{exercise.title} (de {exercise.points})",
                   f"{exercise.title} — comentário"]
    writer.writerow(header)
    missing_id = []
    for student in sorted(by_student):
        entry = roster.get(student)
        if entry is None:
            continue  # listed in export.not_in_roster
        if column not in entry.ids:
            missing_id.append(student)
            continue
        row = [entry.ids[column]]
        for exercise in export.exercises:
            grade = by_student[student].get(exercise.id)
            # "-" is Moodle's "no grade": the import leaves that grade as it was
            row += [number(grade.attempt.score), feedback(grade, export.pick)] if grade \
                else ["-", ""]
        writer.writerow(row)
    export.missing_identifier = missing_id
    return out.getvalue()


def to_steps_csv(export: Export) -> str:
    """One row per student, exercise and step: a long table any spreadsheet can pivot."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    id_fields = roster_identifiers(export.roster) if export.roster else []
    writer.writerow(["student", *id_fields, "exercise", "pick", "graded_at", "lab_status",
                     "score", "scale", "step_number", "step", "title", "required", "status",
                     "points", "max_points", "first_passed_at", "message"])
    for grade in export.grades:
        entry = export.roster.get(grade.student) if export.roster else None
        ids = [entry.ids.get(f, "") if entry else "" for f in id_fields]
        rows = {row.step: row for row in grade.attempt.steps}
        for number_, step in enumerate(grade.exercise.steps, 1):
            row = rows.get(step.id)
            cells = [grade.student, *ids, grade.exercise.id, export.pick,
                     iso(grade.attempt.graded_at), grade.attempt.status, number(grade.attempt.score),
                     grade.attempt.scale, number_, step.id, step.title, step.required,
                     row.status if row else "", row.points if row else 0, step.points,
                     iso(grade.first_passed.get(step.id)), row.message if row else ""]
            writer.writerow([csv_cell(c) for c in cells])
    return out.getvalue()


def to_json(export: Export) -> str:
    """Schema labcheck.export/1 (documented in docs/instrutor.md)."""
    exercises = []
    for exercise in export.exercises:
        students = []
        for grade in (g for g in export.grades if g.exercise is exercise):
            entry = export.roster.get(grade.student) if export.roster else None
            students.append({
                "student": grade.student,
                "ids": entry.ids if entry else None,
                "status": grade.attempt.status,
                "score": grade.attempt.score,
                "graded_at": iso(grade.attempt.graded_at),
                "best": grade.best,
                "latest": grade.latest.score,
                "latest_graded_at": iso(grade.latest.graded_at),
                "attempts": grade.attempts,
                "first_passed": {k: iso(v) for k, v in sorted(grade.first_passed.items())},
                "steps": [{"id": r.step, "status": r.status, "points": r.points,
                           "message": r.message, "hint": r.hint} for r in grade.attempt.steps],
            })
        exercises.append({
            "id": exercise.id, "title": exercise.title,
            "scale": exercise.points,
            "steps": [{"id": s.id, "number": i, "title": s.title, "points": s.points,
                       "required": s.required} for i, s in enumerate(exercise.steps, 1)],
            "students": students,
            "never_graded": export.never_graded.get(exercise.id, []) if export.roster else None,
        })
    data = {
        "schema": SCHEMA,
        "generated_at": iso(datetime.now(UTC).timestamp()),
        "pick": export.pick,
        "scale_rule": CLASS_SCALE_RULE,
        "exercises": exercises,
        "not_in_roster": export.not_in_roster if export.roster else None,
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
