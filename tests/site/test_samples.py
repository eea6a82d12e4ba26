"""The grader samples on the site (docs/samples/*.txt) show today's hints.

The samples are real `labcheck` runs (scripts/record-samples.sh on the namespace lab,
labs/vagrant-e2e.sh on the Vagrant lab), pasted into the exercise pages. When a hint in
labs/exerciseN.yaml changes and nobody records the samples again, the page shows the old
advice: this test fails instead.

Each "Dica: ..." in a sample is unwrapped (render_text wraps at 88 columns with 6-space
indentation) and must be, for the step it is printed under (the sample's exercise, by
title; the step, by its number), one of:

- the step's own hint from the YAML;
- a check's hint followed by the step's hint (StepResult.hint joins them with a space);
- the hint of a check's `blocked(...)` outcome ("do the earlier step first"), which
  replaces the step's hint, taken from checker/checks/*.py.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "docs" / "samples").glob("*.txt"))
INDENT = " " * 6
HINT_PREFIX = INDENT + "Dica: "
HEADER = re.compile(r"^labcheck · (?P<title>.+)$")
STEP_LINE = re.compile(r"^ \S (?P<number>\d+)\. ")


def unwrap(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class PrintedHint:
    step_number: int
    text: str  # unwrapped
    line: int  # where "Dica:" starts in the sample, 1-based


def exercises_by_title() -> dict[str, list[dict]]:
    """Exercise title -> its steps, as written in labs/exercise*.yaml."""
    exercises = {}
    for path in sorted((ROOT / "labs").glob("exercise*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        exercises[data["title"]] = data["steps"]
    return exercises


def blocked_hints() -> set[str]:
    """The hints of every `blocked(message, hint)` call in checker/checks/*.py."""
    hints = set()
    for path in sorted((ROOT / "checker" / "checks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "blocked" and len(node.args) == 2
                    and isinstance(node.args[1], ast.Constant)):
                hints.add(unwrap(node.args[1].value))
    return hints


def parse_sample(text: str) -> tuple[str, list[PrintedHint]]:
    """The exercise title on the sample's first line, and every hint it prints."""
    lines = text.splitlines()
    header = HEADER.match(lines[0]) if lines else None
    assert header, f"a primeira linha não é o cabeçalho do labcheck: {lines[:1]}"
    hints: list[PrintedHint] = []
    step_number = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if step := STEP_LINE.match(line):
            step_number = int(step["number"])
        elif line.startswith(HINT_PREFIX):
            assert step_number is not None, f"linha {index + 1}: dica antes de qualquer passo"
            start = index
            body = [line.removeprefix(HINT_PREFIX)]
            # the hint is the last thing under a step: every indented line after it is its
            while index + 1 < len(lines) and lines[index + 1].startswith(INDENT):
                index += 1
                body.append(lines[index])
            hints.append(PrintedHint(step_number, unwrap(" ".join(body)), start + 1))
        index += 1
    return header["title"], hints


def hint_matches(printed: str, step_hint: str, blocked: set[str]) -> bool:
    return (printed == step_hint or printed.endswith(" " + step_hint)
            or printed in blocked)


def test_there_are_samples_with_hints() -> None:
    assert SAMPLES, "docs/samples está vazio"
    assert any(parse_sample(p.read_text(encoding="utf-8"))[1] for p in SAMPLES)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_sample_hints_are_the_current_ones(sample: Path) -> None:
    title, hints = parse_sample(sample.read_text(encoding="utf-8"))
    exercises = exercises_by_title()
    assert title in exercises, (
        f"{sample.name}: exercício '{title}' não existe em labs/exercise*.yaml "
        f"(títulos: {sorted(exercises)})")
    steps = exercises[title]
    blocked = blocked_hints()
    stale = []
    for printed in hints:
        assert 1 <= printed.step_number <= len(steps), (
            f"{sample.name}:{printed.line}: passo {printed.step_number} não existe em '{title}'")
        step = steps[printed.step_number - 1]
        step_hint = unwrap(step["hint"])
        if not hint_matches(printed.text, step_hint, blocked):
            stale.append(f"{sample.name}:{printed.line} (passo {printed.step_number}, "
                         f"{step['id']}):\n  na amostra: {printed.text}\n"
                         f"  no YAML:    {step_hint}")
    assert not stale, (
        "Dicas desatualizadas — grave as amostras de novo (scripts/record-samples.sh; "
        "as *-vagrant.txt com labs/vagrant-e2e.sh):\n" + "\n".join(stale))

