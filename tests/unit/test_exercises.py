from pathlib import Path

import pytest

from checker.checks import CHECKS
from checker.errors import DefinitionError
from checker.exercises import available, load_exercise, parse_exercise

LABS = Path(__file__).resolve().parents[2] / "labs"


def test_the_five_exercises_load_and_name_known_checks():
    assert available(LABS) == [f"exercise{n}" for n in range(1, 6)]
    for name in available(LABS):
        exercise = load_exercise(name, LABS)
        assert exercise.steps and all(s.check.name in CHECKS for s in exercise.steps)
        assert all(s.hint for s in exercise.steps), "every step needs a pt-BR hint"


def test_vagrant_only_steps_are_marked():
    ex1 = {s.id: s for s in load_exercise("exercise1", LABS).steps}
    assert ex1["vm-running"].lab == "vagrant" and ex1["ssh-between-hosts"].lab == "any"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("id: x\ntitle: t\nsteps: [", "YAML inválido"),
        ("id: x\ntitle: t\nsteps: []\n", "nenhum passo"),
        ("id: x\ntitle: t\nsteps:\n  - {id: a, title: A, check: nope}\n", "verificação desconhecida"),
        ("id: x\ntitle: t\nsteps:\n  - {id: a, title: A, check: cluster_online, params: {z: 1}}\n",
         "parâmetros desconhecidos"),
        ("id: x\ntitle: t\nsteps:\n  - {id: a, title: A, check: cluster_online}\n"
         "  - {id: a, title: B, check: cluster_online}\n", "repetidos"),
        ("id: x\ntitle: t\nsteps:\n  - {id: a, title: A, check: cluster_online, points: -1}\n",
         "points"),
    ],
)
def test_broken_definitions_are_reported(text: str, fragment: str):
    with pytest.raises(DefinitionError, match=fragment):
        parse_exercise(text, "labs/x.yaml")


def test_unknown_exercise_lists_the_known_ones():
    with pytest.raises(DefinitionError, match="exercise1, exercise2, exercise3"):
        load_exercise("exercise9", LABS)
