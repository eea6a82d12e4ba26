"""The instructor's gradebook: a terminal summary, CSV, JSON and a self-contained HTML page."""

from __future__ import annotations

import csv
import html
import io
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from checker.checks import Status
from checker.classroom import StudentResult
from checker.errors import UsageError
from checker.exercises import Exercise
from checker.grading import CLASS_SCALE_RULE
from checker.report import STATUS_WORDS, SYMBOLS, to_dict

STATUS_PT = {"passed": "aprovado", "failed": "reprovado", "unreachable": "inacessível",
             "error": "erro"}


def failed_steps(result: StudentResult) -> list[str]:
    if result.report is None:
        return []
    return [r.step.id for r in result.report.results
            if r.step.required and r.status in {Status.FAIL, Status.ERROR}]


def number(value: float) -> str:
    """A score for files and tools (CSV, Moodle): a point, one decimal at most, no thousands
    separator — read the same in every language."""
    return f"{value:.1f}".removesuffix(".0")


def score_text(value: float) -> str:
    """A class-scale score in pt-BR: 36,8 — or 100."""
    return number(value).replace(".", ",")


def summary_table(results: list[StudentResult], exercise: Exercise) -> str:
    scale = exercise.points
    width = max([len("aluno"), *(len(r.student) for r in results)])
    lines = [f"{'aluno':<{width}}  {'situação':<11}  {'nota':>9}  pendências",
             f"{'-' * width}  {'-' * 11}  {'-' * 9}  {'-' * 30}"]
    for r in results:
        score = f"{score_text(r.class_score)}/{scale}"
        pending = r.detail if r.detail else ", ".join(failed_steps(r))
        lines.append(f"{r.student:<{width}}  {STATUS_PT[r.status]:<11}  {score:>9}  {pending}")
    counts = {s: sum(1 for r in results if r.status == s) for s in STATUS_PT}
    lines.append("")
    lines.append(" · ".join(f"{STATUS_PT[s]}: {n}" for s, n in counts.items()))
    unchecked = sum(1 for r in results if r.report and r.report.unchecked)
    lines.append(f"Notas de 0 a {scale} para todos (escala da turma)"
                 + (f"; {unchecked} laboratório(s) com passo não verificável, fora da conta."
                    if unchecked else "."))
    return "\n".join(lines) + "\n"


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A text cell a spreadsheet will show, never evaluate: OWASP's leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(exercise: Exercise, results: list[StudentResult]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    step_ids = [s.id for s in exercise.steps]
    # score/max_score: the class scale, the same denominator for every row; raw_*: the
    # points of the steps this lab could show, as the student's own report says
    writer.writerow(["student", "score", "max_score", "status", "detail", "raw_score",
                     "raw_max_score", "unchecked_steps", *step_ids])
    scale = exercise.points
    for r in results:
        by_step = {x.step.id: x.status.value for x in r.report.results} if r.report else {}
        row = [r.student, number(r.class_score), scale, r.status, r.detail, r.score, r.max_score,
               r.report.unchecked if r.report else 0, *(by_step.get(s, "") for s in step_ids)]
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()


def to_json(exercise: Exercise, results: list[StudentResult]) -> str:
    data = {
        "exercise": exercise.id,
        "title": exercise.title,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": exercise.points,
        "scale_rule": CLASS_SCALE_RULE,
        "students": [
            {"student": r.student, "status": r.status, "score": r.class_score,
             "max_score": exercise.points, "raw_score": r.score,
             "raw_max_score": r.max_score, "detail": r.detail, "seconds": round(r.seconds, 2),
             "report": to_dict(r.report) if r.report else None}
            for r in results
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d1d1f;max-width:70rem}
h1{font-weight:500}table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top}
th{background:#f3f4f8}.pass{color:#1b7a33}.fail{color:#b3261e}.skip{color:#777}.error{color:#a15c00}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:1rem;font-size:.85rem;color:#fff}
.b-passed{background:#1b7a33}.b-failed{background:#b3261e}.b-unreachable{background:#6b6b6b}
.b-error{background:#a15c00}details{margin:.6rem 0;border:1px solid #ddd;border-radius:.4rem;
padding:.4rem .8rem}summary{cursor:pointer;font-weight:500}.hint{color:#555;font-size:.9rem}
@media (prefers-color-scheme: dark){body{background:#17181c;color:#e6e6e6}th{background:#23252b}
th,td,details{border-color:#3a3d45}.hint{color:#aaa}}
"""


def to_html(exercise: Exercise, results: list[StudentResult]) -> str:
    e = html.escape
    rows = []
    for r in results:
        score = f"{score_text(r.class_score)}/{exercise.points}"
        rows.append(f"<tr><td><a href='#{e(r.student)}'>{e(r.student)}</a></td>"
                    f"<td><span class='badge b-{r.status}'>{STATUS_PT[r.status]}</span></td>"
                    f"<td>{score}</td><td>{e(r.detail or ', '.join(failed_steps(r)))}</td></tr>")
    details = []
    for r in results:
        body = [f"<p class='hint'>{e(r.detail)}</p>"] if r.detail else []
        if r.report:
            body.append("<table><tr><th>passo</th><th>resultado</th><th>pontos</th>"
                        "<th>mensagem e dica</th></tr>")
            for x in r.report.results:
                hint = f"<div class='hint'>Dica: {e(x.hint)}</div>" if x.hint else ""
                body.append(
                    f"<tr><td>{e(x.step.title)}</td><td class='{x.status.value}'>"
                    f"{SYMBOLS[x.status]} {STATUS_WORDS[x.status]}</td><td>{x.points}/{x.step.points}"
                    f"</td><td>{e(x.outcome.message)}{hint}</td></tr>")
            body.append("</table>")
        open_attr = "" if r.status == "passed" else " open"
        details.append(f"<details id='{e(r.student)}'{open_attr}><summary>{e(r.student)} — "
                       f"{STATUS_PT[r.status]}</summary>{''.join(body)}</details>")
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"<!doctype html><html lang='pt-BR'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>{e(exercise.title)} — turma</title><style>{_CSS}</style></head><body>"
            f"<h1>{e(exercise.title)}</h1><p>Correção da turma pelo labcheck em {when}.</p>"
            f"<p class='hint'>{e(CLASS_SCALE_RULE)}</p>"
            f"<table><tr><th>aluno</th><th>situação</th><th>nota</th><th>pendências</th></tr>"
            f"{''.join(rows)}</table><h2>Por aluno</h2>{''.join(details)}</body></html>\n")


def check_out_folder(out: Path) -> None:
    """Refuse an --out that cannot take the gradebook, before a single lab is graded."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} já existe e não é uma pasta: diga uma pasta (nova ou "
                         "existente) para a planilha, o JSON e o HTML.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".labcheck-", delete=True):
            pass
    except OSError as exc:
        raise UsageError(f"Não é possível gravar em --out {out}: {exc.strerror or exc}.") from None


def write_gradebook(out: Path, exercise: Exercise, results: list[StudentResult]) -> list[Path]:
    """CSV, JSON and HTML in `out`; if `out` fails now (disk full, removed), in a new
    temporary folder instead, so a class's grading is never lost."""
    texts = {f"{exercise.id}.csv": to_csv(exercise, results),
             f"{exercise.id}.json": to_json(exercise, results),
             f"{exercise.id}.html": to_html(exercise, results)}
    try:
        return _write_all(out, texts)
    except OSError as exc:
        fallback = Path(tempfile.mkdtemp(prefix=f"labcheck-{exercise.id}-"))
        print(f"labcheck: não foi possível gravar em {out} ({exc.strerror or exc}); "
              f"as notas vão para {fallback}", file=sys.stderr)
        return _write_all(fallback, texts)


def _write_all(folder: Path, texts: dict[str, str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in texts.items():
        replace_file(folder / name, text)
        paths.append(folder / name)
    return paths


def replace_file(path: Path, text: str) -> None:
    """Write `text` beside `path`, then rename it over: a reader never sees half a file."""
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                     prefix=f".{path.name}.", newline="") as partial:
        partial.write(text)
    Path(partial.name).replace(path)
