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


def test_host_steps_are_marked_and_a_notebook_may_leave_only_those():
    # the one rule make e2e (labs/vagrant-e2e.sh) and the notebook runner both read
    from labs.notebooks.run import only_host_steps_left

    hosts = [s.id for name in available(LABS) for s in load_exercise(name, LABS).steps
             if s.host_action]
    assert hosts == ["crash-fenced"]
    crash = " ✘ 7. Queda do hospedeiro cercada pelo cluster (passo 7)  0/10"
    other = " ✘ 4. VM vm1 como recurso VirtualDomain  0/20"
    assert only_host_steps_left("exercicio1.ipynb", f"✔ 1. ok\n{crash}\n")
    assert not only_host_steps_left("exercicio1.ipynb", f"{crash}\n{other}\n")
    assert not only_host_steps_left("exercicio1.ipynb", "✔ 1. ok\n")  # nothing failed
    assert not only_host_steps_left("exercicio2.ipynb", crash)


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
        ("id: x\ntitle: t\nsteps:\n  - {id: a, title: A, check: cluster_online, host_action: sim}\n",
         "host_action"),
    ],
)
def test_broken_definitions_are_reported(text: str, fragment: str):
    with pytest.raises(DefinitionError, match=fragment):
        parse_exercise(text, "labs/x.yaml")


def test_unknown_exercise_lists_the_known_ones():
    with pytest.raises(DefinitionError, match="exercise1, exercise2, exercise3"):
        load_exercise("exercise9", LABS)
