"""The class roster: which LMS account each student (inventory file name) is.

A CSV with a header: `student` (the inventory's file name without .yaml) and at least one of
`email`, `idnumber`, `username` — the fields Moodle's grade import can identify a user by.
Comma or semicolon separated (a spreadsheet in pt-BR saves with ";"), UTF-8 with or without
BOM. Every problem is a pt-BR message naming the line, never a half-read roster.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from checker.boundary import clean_line
from checker.errors import UsageError

IDENTIFIERS = ("email", "idnumber", "username")
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_FIELD = 255  # Moodle's own limit for these user fields is 100 (email, idnumber, username)


@dataclass(frozen=True)
class RosterEntry:
    student: str
    line: int
    ids: dict[str, str]  # identifier -> value, only the non-empty ones


def load_roster(path: Path) -> dict[str, RosterEntry]:
    try:
        data = path.read_bytes()[: MAX_BYTES + 1]
    except OSError as exc:
        raise UsageError(f"Não foi possível ler a lista da turma {path}: "
                         f"{exc.strerror or exc}.") from None
    if len(data) > MAX_BYTES:
        raise UsageError(f"A lista da turma {path} passa de {MAX_BYTES // 1024 // 1024} MiB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"A lista da turma {path} não está em UTF-8: salve-a como "
                         "\"CSV UTF-8\".") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise UsageError(f"A lista da turma {path} está vazia.") from None
    except csv.Error as exc:
        raise UsageError(f"A lista da turma {path} não é um CSV válido: {exc}.") from None
    if "student" not in header:
        raise UsageError(f"A lista da turma {path} precisa de uma coluna 'student' (o nome do "
                         "inventário do aluno, sem .yaml) no cabeçalho; achei: "
                         f"{', '.join(clean_line(h) for h in header) or 'nada'}.")
    present = [i for i in IDENTIFIERS if i in header]
    if not present:
        raise UsageError(f"A lista da turma {path} precisa de pelo menos uma destas colunas: "
                         "email, idnumber, username (como o Moodle identifica o aluno).")
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise UsageError(f"A lista da turma {path} repete a coluna {', '.join(repeated)}.")
    roster: dict[str, RosterEntry] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(roster) >= MAX_ROWS:
                raise UsageError(f"A lista da turma {path} tem mais de {MAX_ROWS} alunos.")
            values = dict(zip(header, (cell.strip() for cell in row), strict=False))
            student = clean_line(values.get("student", ""))
            if not student:
                raise UsageError(f"{path}, linha {line}: falta o nome do aluno (coluna student).")
            if student in roster:
                raise UsageError(f"{path}, linha {line}: o aluno {student} já apareceu na linha "
                                 f"{roster[student].line}.")
            ids = {}
            for field in present:
                value = clean_line(values.get(field) or "")
                if len(value) > MAX_FIELD:
                    raise UsageError(f"{path}, linha {line}: {field} com mais de {MAX_FIELD} "
                                     "caracteres.")
                if value:
                    ids[field] = value
            roster[student] = RosterEntry(student, line, ids)
    except csv.Error as exc:
        raise UsageError(f"{path}, linha {reader.line_num}: CSV inválido ({exc}).") from None
    if not roster:
        raise UsageError(f"A lista da turma {path} não tem nenhum aluno abaixo do cabeçalho.")
    return roster


def roster_identifiers(roster: dict[str, RosterEntry]) -> list[str]:
    """The identifier columns the roster has, in Moodle's order of preference."""
    found = {field for entry in roster.values() for field in entry.ids}
    return [i for i in IDENTIFIERS if i in found]
