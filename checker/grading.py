"""Judges an exercise: runs each step's check on the facts, in order.

A check runs only when the facts it needs were read; otherwise the step is
skipped (offline grading) or marked as an error that says what was missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.checks import Outcome, Status
from checker.exercises import Exercise, Step
from checker.facts import LabFacts
from checker.probes import MODEL_PROBES, PROBES

# How a class is put on one scale; said the same way on the board, in exports and in the
# instructor guide.
CLASS_SCALE_RULE = (
    "Todos os alunos de um exercício são avaliados na mesma escala: os pontos do exercício "
    "com o bônus, como labcheck list mostra. Um passo que o laboratório não permite verificar "
    "(\"não verificável\", como o systemd no laboratório embutido) não conta nem a favor nem "
    "contra: a nota é a fração dos pontos verificáveis obtida, levada a essa escala. Um nó "
    "inacessível não é \"não verificável\": os passos que dependem dele valem zero."
)


@dataclass(frozen=True)
class StepResult:
    step: Step
    outcome: Outcome

    @property
    def status(self) -> Status:
        return self.outcome.status

    @property
    def points(self) -> int:
        return self.step.points if self.status is Status.PASS else 0

    @property
    def hint(self) -> str:
        if self.status not in {Status.FAIL, Status.ERROR}:
            return ""
        if self.outcome.blocked:
            return self.outcome.hint or ""
        parts = [p for p in (self.outcome.hint, self.step.hint) if p]
        return " ".join(parts)


@dataclass(frozen=True)
class Report:
    exercise: Exercise
    results: tuple[StepResult, ...]
    source: str
    unreachable: tuple[str, ...] = ()  # "node: why" for each node that could not be read
    # Why the cluster could not be read at all, when the exercise needed it.
    cluster_unreadable: str | None = None
    # Graded from a saved CIB: it can show a correct configuration, never a passed exercise.
    offline: bool = False

    @property
    def problems(self) -> tuple[str, ...]:
        return self.unreachable + ((self.cluster_unreadable,) if self.cluster_unreadable else ())

    @property
    def verdict(self) -> str:
        """passed | failed | unreachable | error | configuration-ok — one lab's outcome, for
        exit codes and rows (configuration-ok: a saved CIB whose checkable steps all pass)."""
        if self.unreachable:
            return "unreachable"
        if self.cluster_unreadable:
            return "error"
        if not self.steps_ok:
            return "failed"
        return "configuration-ok" if self.offline else "passed"

    @property
    def score(self) -> int:
        return sum(r.points for r in self.results)

    @property
    def max_score(self) -> int:
        # A step that could not be judged here (skipped) is not held against anyone.
        return sum(r.step.points for r in self.results if r.status is not Status.SKIP)

    @property
    def steps_ok(self) -> bool:
        """No required step failed among those that could be judged here."""
        return all(r.status in {Status.PASS, Status.SKIP} for r in self.results if r.step.required)

    @property
    def passed(self) -> bool:
        """The exercise is passed: judged on the live lab, and no required step failed."""
        return self.steps_ok and not self.offline

    @property
    def scale(self) -> int:
        """The exercise's full points (bonus included), the same for every lab of a class."""
        return self.exercise.points

    @property
    def class_score(self) -> float:
        """The score on the class scale (see CLASS_SCALE_RULE): the points of the steps that
        could be judged, stretched to the exercise's full points. A step this lab cannot show
        (no systemd on the namespace lab) is neither held against nor given to anyone; a node
        that did not answer is an error, not a skip, so it never shrinks the denominator."""
        judged = self.max_score
        if judged == 0:
            return 0.0
        return round(self.score * self.scale / judged, 1)

    @property
    def unchecked(self) -> int:
        """Steps that could not be judged here (no live lab, or no systemd on the node)."""
        return sum(1 for r in self.results if r.status is Status.SKIP)


def _missing_facts(step: Step, facts: LabFacts) -> Outcome | None:
    """Why a step cannot be judged on these facts, or None when it can."""
    needs = step.check.needs
    if facts.offline:
        live = sorted(needs - {"cib"})
        if live:
            return Outcome(Status.SKIP, "Não verificável a partir de uma CIB salva: precisa do "
                                        "laboratório ao vivo.")
        return None
    if needs & MODEL_PROBES:
        if facts.cib is None:
            return Outcome(Status.ERROR, facts.cib_problem or "A CIB não foi lida.",
                           "Confira se o Pacemaker está rodando: pcs cluster start --all.")
        if "status" in needs and facts.status is None:
            return Outcome(Status.ERROR, f"crm_mon falhou em {facts.read_from}.",
                           "Confira se o Pacemaker está rodando: pcs cluster start --all.")
    for probe in sorted(needs - MODEL_PROBES):
        roles = PROBES[probe].roles
        down = [n for n in facts.nodes.values() if n.host.role in roles and not n.reachable]
        if down:
            return Outcome(Status.ERROR, "Não foi possível ler "
                           + ", ".join(f"{n.host.name} ({n.error})" for n in down) + ".")
    return None


def judge(step: Step, facts: LabFacts) -> Outcome:
    """The step's outcome, or why it could not be judged on these facts."""
    return _missing_facts(step, facts) or step.check.function(facts, step.params)


def grade(exercise: Exercise, facts: LabFacts) -> Report:
    results = [StepResult(step, judge(step, facts)) for step in exercise.steps]
    unreachable = tuple(f"{n.host.name}: {n.error}" for n in facts.unreachable())
    unreadable = None
    if exercise.needs & MODEL_PROBES and facts.cib is None and not facts.offline:
        unreadable = facts.cib_problem or "não foi possível ler a CIB"
    return Report(exercise, tuple(results), facts.inventory.source, unreachable, unreadable,
                  offline=facts.offline)
