"""Exercise definitions: data in labs/exerciseN.yaml, validated on load.

Each step names a check from checks.py with its parameters, a pt-BR title,
points, a hint, whether it is required, and on which lab it can be shown.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.checks import CHECKS, CheckSpec
from checker.errors import DefinitionError
from checker.yamlfile import load_yaml

ENV_LABS_DIR = "LABCHECK_LABS_DIR"
DEFAULT_LABS_DIR = Path(__file__).resolve().parent.parent / "labs"
EXERCISE_FILE = re.compile(r"^(exercise\d+)\.ya?ml$")
LAB_KINDS = ("any", "vagrant")


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    points: int
    check: CheckSpec
    params: dict[str, Any]
    hint: str
    required: bool = True
    lab: str = "any"  # "vagrant": only the Vagrant lab (libvirt, systemd) can show it
    # Done on the student's own machine, not on the nodes (exercise 1 crashes a node from the
    # host): a notebook, whose cells run on the nodes, leaves it to the student.
    host_action: bool = False


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    lesson: str
    summary: str
    steps: tuple[Step, ...]
    source: str = ""
    needs: frozenset[str] = field(default_factory=frozenset)
    # What the lab itself must provide before the exercise starts (labcheck start).
    readiness: tuple[Step, ...] = ()

    @property
    def points(self) -> int:
        """All the points of the exercise, bonus included: a class's scale."""
        return sum(s.points for s in self.steps)


def labs_dir() -> Path:
    return Path(os.environ.get(ENV_LABS_DIR, DEFAULT_LABS_DIR))


def available(directory: Path | None = None) -> list[str]:
    directory = directory or labs_dir()
    if not directory.is_dir():
        return []
    names = [m.group(1) for p in directory.iterdir() if (m := EXERCISE_FILE.match(p.name))]
    return sorted(names, key=lambda n: int(n.removeprefix("exercise")))


def _require(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise DefinitionError(f"{where}: o campo '{key}' é obrigatório ({kind.__name__}).")
    return value


def _step(data: Any, where: str) -> Step:
    if not isinstance(data, dict):
        raise DefinitionError(f"{where}: cada passo deve ser um mapeamento.")
    step_id = _require(data, "id", str, where)
    where = f"{where} (passo {step_id})"
    check_name = _require(data, "check", str, where)
    spec = CHECKS.get(check_name)
    if spec is None:
        raise DefinitionError(f"{where}: verificação desconhecida '{check_name}'. "
                              f"Conhecidas: {', '.join(sorted(CHECKS))}.")
    params = data.get("params") or {}
    if not isinstance(params, dict):
        raise DefinitionError(f"{where}: 'params' deve ser um mapeamento.")
    unknown = sorted(set(params) - set(spec.defaults))
    if unknown:
        raise DefinitionError(f"{where}: parâmetros desconhecidos para {check_name}: "
                              f"{', '.join(unknown)}.")
    points = data.get("points", 0)
    if not isinstance(points, int) or isinstance(points, bool) or points < 0:
        raise DefinitionError(f"{where}: 'points' deve ser um inteiro ≥ 0.")
    lab = data.get("lab", "any")
    if lab not in LAB_KINDS:
        raise DefinitionError(f"{where}: 'lab' deve ser um de {', '.join(LAB_KINDS)}.")
    required = data.get("required", True)
    host_action = data.get("host_action", False)
    for key, value in (("required", required), ("host_action", host_action)):
        if not isinstance(value, bool):
            raise DefinitionError(f"{where}: '{key}' deve ser true ou false.")
    return Step(
        id=step_id,
        title=_require(data, "title", str, where),
        points=points,
        check=spec,
        params={**spec.defaults, **params},
        hint=str(data.get("hint", "")).strip(),
        required=required,
        lab=lab,
        host_action=host_action,
    )


def parse_exercise(text: str, source: str) -> Exercise:
    data = load_yaml(text, source, DefinitionError)
    if not isinstance(data, dict):
        raise DefinitionError(f"{source}: esperado um mapeamento no topo do arquivo.")
    steps_data = _require(data, "steps", list, source)
    steps = tuple(_step(s, source) for s in steps_data)
    ids = [s.id for s in steps]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise DefinitionError(f"{source}: ids de passo repetidos: {', '.join(duplicated)}.")
    if not steps:
        raise DefinitionError(f"{source}: nenhum passo definido.")
    ready_data = data.get("ready") or []
    if not isinstance(ready_data, list):
        raise DefinitionError(f"{source}: 'ready' deve ser uma lista de verificações.")
    readiness = tuple(_step(r, f"{source} (ready)") for r in ready_data)
    return Exercise(
        id=_require(data, "id", str, source),
        title=_require(data, "title", str, source),
        lesson=str(data.get("lesson", "")),
        summary=str(data.get("summary", "")).strip(),
        steps=steps,
        source=source,
        needs=frozenset().union(*(s.check.needs for s in steps)),
        readiness=readiness,
    )


def load_exercise(name: str, directory: Path | None = None) -> Exercise:
    directory = directory or labs_dir()
    known = available(directory)
    if name not in known:
        listing = ", ".join(known) if known else f"nenhum em {directory}"
        raise DefinitionError(f"Exercício desconhecido: '{name}'. Disponíveis: {listing}.")
    path = next(p for p in directory.iterdir() if EXERCISE_FILE.match(p.name)
                and p.name.split(".")[0] == name)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"Não foi possível ler {path}: {exc}") from None
    exercise = parse_exercise(text, str(path))
    if exercise.id != name:
        raise DefinitionError(f"{path}: o campo id é '{exercise.id}', esperado '{name}'.")
    return exercise
