"""Renders a grading report: pt-BR text for students, JSON and JUnit XML for tools."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import xml.etree.ElementTree as ET
from typing import TextIO

from checker.checks import Status
from checker.grading import Report, StepResult

SYMBOLS = {Status.PASS: "✔", Status.FAIL: "✘", Status.SKIP: "–", Status.ERROR: "!"}
WARNING_SYMBOL = "⚠"
COLORS = {Status.PASS: "32", Status.FAIL: "31", Status.SKIP: "90", Status.ERROR: "33"}
STATUS_WORDS = {Status.PASS: "ok", Status.FAIL: "falhou", Status.SKIP: "não verificável",
                Status.ERROR: "erro"}


def use_color(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def _symbol(result: StepResult) -> tuple[str, str]:
    if result.status is Status.FAIL and not result.step.required:
        return WARNING_SYMBOL, "33"
    return SYMBOLS[result.status], COLORS[result.status]


def render_text(report: Report, color: bool = False, width: int = 88) -> str:
    ex = report.exercise
    lines = [_paint(f"labcheck · {ex.title}", "1", color), f"Laboratório: {report.source}", ""]
    # break_on_hyphens=False: a command like resource-stickiness=100 must stay whole
    wrap = textwrap.TextWrapper(width=width, initial_indent=" " * 6, subsequent_indent=" " * 6,
                                break_on_hyphens=False, break_long_words=False)
    for index, result in enumerate(report.results, 1):
        symbol, code = _symbol(result)
        step = result.step
        label = f" {_paint(symbol, code, color)} {index}. {step.title}"
        if result.status is Status.SKIP:
            tail = "não verificável"
        elif not step.required and step.points == 0:
            tail = "aviso" if result.status is Status.FAIL else "ok"
        else:
            tail = f"{result.points}/{step.points}" + ("" if step.required else " (bônus)")
        lines.append(f"{label}  {_paint(tail, '90', color)}")
        if result.outcome.message:
            message_code = "90" if result.status is Status.PASS else "0"
            lines.extend(_paint(line, message_code, color)
                         for line in wrap.wrap(result.outcome.message))
        if result.hint:
            lines.extend(wrap.wrap(_paint("Dica: ", "36", color) + result.hint))
    lines.append("")
    for problem in report.problems:
        lines.append(_paint("Atenção: ", "33", color) + problem)
    failed_required = [r for r in report.results
                       if r.step.required and r.status in {Status.FAIL, Status.ERROR}]
    unjudged = report.unchecked
    if report.offline and report.steps_ok:
        lines.append(f"Resultado: {report.score}/{report.max_score} pontos nos passos que uma CIB "
                     f"salva mostra — " + _paint("configuração correta", "32;1", color))
        lines.append(f"Isto não é a aprovação no exercício: {unjudged} de {len(report.results)} "
                     "passos só podem ser verificados no laboratório ao vivo (rode labcheck "
                     f"{ex.id} sem --cib).")
    else:
        verdict = (
            _paint("APROVADO", "32;1", color)
            if report.passed
            else _paint(f"{len(failed_required)} passo(s) obrigatório(s) pendente(s)", "31;1",
                        color)
        )
        scope = f" ({unjudged} passo(s) não verificável(is) aqui)" if unjudged else ""
        lines.append(f"Resultado: {report.score}/{report.max_score} pontos — {verdict}{scope}")
    return "\n".join(lines) + "\n"


def to_dict(report: Report) -> dict:
    return {
        "exercise": report.exercise.id,
        "title": report.exercise.title,
        "passed": report.passed,
        "verdict": report.verdict,
        # graded from a saved CIB (--cib): configuration only, never a passed exercise
        "offline": report.offline,
        "unchecked": report.unchecked,
        "score": report.score,
        "max_score": report.max_score,
        "source": report.source,
        "problems": list(report.problems),
        "checks": [
            {
                "id": r.step.id,
                "title": r.step.title,
                "status": r.status.value,
                "required": r.step.required,
                "host_action": r.step.host_action,
                "points": r.points,
                "max_points": r.step.points,
                "message": r.outcome.message,
                "hint": r.hint,
            }
            for r in report.results
        ],
    }


def render_json(report: Report) -> str:
    return json.dumps(to_dict(report), ensure_ascii=False, indent=2) + "\n"


def render_junit(report: Report) -> str:
    counts = {s: sum(1 for r in report.results if r.status is s) for s in Status}
    suite = ET.Element(
        "testsuite",
        name=f"labcheck.{report.exercise.id}",
        tests=str(len(report.results)),
        failures=str(counts[Status.FAIL]),
        errors=str(counts[Status.ERROR]),
        skipped=str(counts[Status.SKIP]),
    )
    ET.SubElement(ET.SubElement(suite, "properties"), "property",
                  name="score", value=f"{report.score}/{report.max_score}")
    for r in report.results:
        case = ET.SubElement(suite, "testcase", classname=f"labcheck.{report.exercise.id}",
                             name=f"{r.step.id}: {r.step.title}")
        detail = "\n".join(p for p in (r.outcome.message, r.hint and f"Dica: {r.hint}") if p)
        if r.status is Status.FAIL:
            ET.SubElement(case, "failure", message=r.outcome.message).text = detail
        elif r.status is Status.ERROR:
            ET.SubElement(case, "error", message=r.outcome.message).text = detail
        elif r.status is Status.SKIP:
            ET.SubElement(case, "skipped", message=r.outcome.message)
        else:
            ET.SubElement(case, "system-out").text = r.outcome.message
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def write(report: Report, fmt: str, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    renderers = {
        "text": lambda r: render_text(r, color=use_color(stream)),
        "json": render_json,
        "junit": render_junit,
    }
    stream.write(renderers[fmt](report))
