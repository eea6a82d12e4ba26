"""Grades out of the history: Moodle's CSV import, the per-step CSV and the JSON schema.

The Moodle file is read back with the rules of Moodle's own importer
(grade/import/csv/classes/load_data.php, gradeimport_csv_load_data): the first row names the
columns (trimmed); a line with one column or less is skipped; each row's user is found by the
mapped identifier, and a row whose user is not found stops the WHOLE import; a grade of "" or
"-" is "no grade", anything else must be a number (unformat_float) or the import fails.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from checker.cli import main
from checker.errors import UsageError
from checker.exercises import load_exercise
from checker.export import collect, to_json, to_moodle, to_steps_csv
from checker.history import History
from checker.roster import load_roster
from tests.unit.classdata import EXERCISE2, report

EXERCISE4 = load_exercise("exercise4")


class MoodleImportError(Exception):
    pass


def moodle_import(text: str, map_from: str, users: dict[str, int], grade_columns: dict[str, str],
                  feedback_columns: dict[str, str]) -> dict[int, dict[str, tuple]]:
    """{user id: {grade item: (grade, feedback)}} as Moodle would import the file, or raise
    MoodleImportError where Moodle would stop."""
    rows = list(csv.reader(io.StringIO(text), delimiter=","))
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header):
        raise MoodleImportError("cannotmapfield: duplicate column")
    result: dict[int, dict[str, tuple]] = {}
    for line in rows[1:]:
        if len(line) <= 1:
            continue
        values = dict(zip(header, (v.strip() for v in line), strict=True))
        identifier = values[map_from]
        if not identifier or identifier not in users:
            raise MoodleImportError(f"usermappingerror: {identifier!r}")
        grades = result.setdefault(users[identifier], {})
        for column, item in grade_columns.items():
            value = values[column]
            if value in {"", "-"}:
                grade = None
            else:
                try:
                    grade = float(value)  # unformat_float, strict
                except ValueError:
                    raise MoodleImportError(f"badgrade: {value!r}") from None
            grades[item] = (grade, grades.get(item, (None, ""))[1])
        for column, item in feedback_columns.items():
            grades[item] = (grades.get(item, (None, ""))[0], values[column])
    return result


@pytest.fixture
def history(tmp_path: Path) -> History:
    h = History(tmp_path / "h.sqlite3")
    h.record(EXERCISE2, "ana", "watch", "failed", report(passed=3, skip=("remoted-enabled",)),
             graded_at=1_800_000_000.0)
    h.record(EXERCISE2, "ana", "watch", "passed", report(passed=7, skip=("remoted-enabled",)),
             graded_at=1_800_000_100.0)
    h.record(EXERCISE2, "ana", "watch", "unreachable",
             report(passed=1, error=("remoted-running",), unreachable=("node3: sem rota",)),
             "node3: sem rota", graded_at=1_800_000_200.0)
    h.record(EXERCISE2, "bruno", "class", "failed", report(passed=2), graded_at=1_800_000_000.0)
    h.record(EXERCISE2, "eve", "class", "failed", report(passed=1), graded_at=1_800_000_000.0)
    h.record(EXERCISE4, "ana", "watch", "failed", report(EXERCISE4, passed=4),
             graded_at=1_800_000_000.0)
    yield h
    h.close()


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    path = tmp_path / "turma.csv"
    # as a pt-BR spreadsheet saves it: BOM, semicolons
    path.write_bytes("\ufeffstudent;email;idnumber\nana;ana@escola.br;2026001\n"
                     "bruno;bruno@escola.br;\ncarla;carla@escola.br;2026003\n".encode())
    return path


def test_moodle_csv_imports_as_moodle_reads_it(history: History, roster: Path):
    export = collect(history, [EXERCISE2, EXERCISE4], "best", load_roster(roster))
    text = to_moodle(export)
    header = next(csv.reader(io.StringIO(text)))
    assert header[0] == "email"
    grade2, feedback2, grade4, feedback4 = header[1:]
    users = {"ana@escola.br": 1, "bruno@escola.br": 2, "carla@escola.br": 3}
    imported = moodle_import(text, "email", users, {grade2: "ex2", grade4: "ex4"},
                             {feedback2: "ex2", feedback4: "ex4"})
    # ana: best attempt counts (100: the step this lab cannot show is out of the count),
    # not the latest, taken while a node was down
    assert imported[1]["ex2"][0] == 100.0
    assert "Todos os passos obrigatórios cumpridos" in imported[1]["ex2"][1]
    assert "pacemaker_remote habilitado no boot" in imported[1]["ex2"][1]  # named as unchecked
    assert imported[1]["ex4"][0] == pytest.approx(EXERCISE4_SCORE)
    # bruno never did exercise 4: "-" is Moodle's "no grade", it leaves that grade alone
    assert imported[2]["ex4"] == (None, "")
    assert imported[2]["ex2"][0] == report(passed=2).class_score
    assert "Passos pendentes: 3. pacemaker_remote habilitado no boot" in imported[2]["ex2"][1]
    assert 3 not in imported  # carla was never graded: no row that would look like a zero
    assert sorted(export.never_graded["exercise2"]) == ["carla"]
    assert export.not_in_roster == ["eve"]  # graded, not in the roster: listed, no row
    assert any("eve" in line for line in export.problems())


EXERCISE4_SCORE = report(EXERCISE4, passed=4).class_score


def test_latest_pick_and_idnumber_column(history: History, roster: Path):
    export = collect(history, [EXERCISE2], "latest", load_roster(roster))
    text = to_moodle(export, "idnumber")
    imported = moodle_import(text, "idnumber", {"2026001": 1, "2026003": 3},
                             {next(csv.reader(io.StringIO(text)))[1]: "ex2"}, {})
    assert imported[1]["ex2"][0] == report(passed=1, error=("remoted-running",)).class_score
    # bruno has no idnumber in the roster: no blank-identifier row (it would break the import)
    assert export.missing_identifier == ["bruno"]
    assert "bruno" in " ".join(export.problems())
    assert "inacessível" in text


def test_moodle_needs_a_roster_and_an_identifier(history: History, tmp_path: Path):
    with pytest.raises(UsageError, match="--roster"):
        to_moodle(collect(history, [EXERCISE2], "best", None))
    only_email = tmp_path / "r.csv"
    only_email.write_text("student,email\nana,ana@escola.br\n")
    with pytest.raises(UsageError, match="username"):
        to_moodle(collect(history, [EXERCISE2], "best", load_roster(only_email)), "username")


@pytest.mark.parametrize(("content", "message"), [
    (b"", "vazia"),
    (b"aluno,email\nana,a@b\n", "coluna 'student'"),
    (b"student,nome\nana,Ana\n", "email, idnumber, username"),
    (b"student,email\n", "nenhum aluno"),
    (b"student,email\nana,a@b\nana,c@d\n", "linha 3: o aluno ana já apareceu na linha 2"),
    (b"student,email\n,a@b\n", "linha 2: falta o nome"),
    (b"student,email,email\nana,a,b\n", "repete a coluna email"),
    (b"student,email\n\xe9ana,a@b\n", "UTF-8"),
])
def test_a_broken_roster_is_a_clear_message(tmp_path: Path, content: bytes, message: str):
    path = tmp_path / "turma.csv"
    path.write_bytes(content)
    with pytest.raises(UsageError, match=message):
        load_roster(path)


def test_steps_csv_is_long_and_spreadsheet_safe(history: History):
    history.record(EXERCISE2, "mallory", "watch", "failed",
                   report(passed=0, messages={"cluster-online": "=HYPERLINK(\"http://x\")"}))
    text = to_steps_csv(collect(history, [EXERCISE2], "latest", None))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4 * len(EXERCISE2.steps)  # ana, bruno, eve, mallory x 7 steps
    mallory = [r for r in rows if r["student"] == "mallory"]
    assert mallory[0]["message"].startswith("'=")  # shown, never run as a formula
    ana = [r for r in rows if r["student"] == "ana"]
    assert ana[1]["first_passed_at"] == "2027-01-15T08:00:00Z"
    assert {r["lab_status"] for r in ana} == {"unreachable"}


def test_json_export_has_a_versioned_schema(history: History, roster: Path):
    data = json.loads(to_json(collect(history, [EXERCISE2], "best", load_roster(roster))))
    assert data["schema"] == "labcheck.export/1" and data["pick"] == "best"
    exercise = data["exercises"][0]
    assert exercise["scale"] == 100 and exercise["never_graded"] == ["carla"]
    ana = next(s for s in exercise["students"] if s["student"] == "ana")
    assert ana["ids"] == {"email": "ana@escola.br", "idnumber": "2026001"}
    assert ana["score"] == 100.0 and ana["attempts"] == 3 and ana["status"] == "passed"
    assert ana["latest"] < ana["best"]
    assert data["not_in_roster"] == ["eve"]


def test_cli_export_lists_who_is_left_out(history: History, roster: Path, tmp_path: Path,
                                          capsys):
    out = tmp_path / "moodle.csv"
    code = main(["class", "export", "exercise2", "--roster", str(roster), "--db",
                 str(history.path), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0 and out.read_text().startswith("email,")
    assert "nunca corrigido(s), sem nota: carla" in captured.err
    assert "fora da lista da turma" in captured.err and "eve" in captured.err
    code = main(["class", "export", "exercise2", "--db", str(history.path)])
    assert code == 2 and "--roster" in capsys.readouterr().err
    code = main(["class", "export", "exercise2", "--db", str(tmp_path / "none.sqlite3"),
                 "--format", "json"])
    assert code == 2 and "não existe" in capsys.readouterr().err


def test_cli_history_prints_attempts_and_first_passes(history: History, capsys):
    code = main(["class", "history", "exercise2", "--db", str(history.path)])
    out = capsys.readouterr().out
    assert code == 0
    ana = next(line for line in out.splitlines() if line.startswith("ana "))
    assert ana.split()[1:4] == ["3", "100", "5"]  # attempts, best, latest (a node was down)
    assert "Notas de 0 a 100" in out and "7. Um recurso roda no nó remoto" in out
