"""What every check shares: outcomes, the registry, and helpers on the cluster model.

A check is a pure function of `LabFacts` registered with `@check(name, needs, **defaults)`;
`needs` names the facts it reads ("cib", "status", or probes from probes.py) so the grader
reads only those and skips or errors the step when they are missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatch
from typing import Any

from checker.facts import LabFacts
from checker.model import Cib, Primitive

Params = dict[str, Any]


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"


@dataclass(frozen=True)
class Outcome:
    status: Status
    message: str
    hint: str | None = None
    # True when the step cannot be judged until an earlier one is done: the step's own
    # hint would then be beside the point.
    blocked: bool = False


def passed(message: str) -> Outcome:
    return Outcome(Status.PASS, message)


def failed(message: str, hint: str | None = None) -> Outcome:
    return Outcome(Status.FAIL, message, hint)


def blocked(message: str, hint: str) -> Outcome:
    return Outcome(Status.FAIL, message, hint, blocked=True)


def skipped(message: str) -> Outcome:
    return Outcome(Status.SKIP, message)


CheckFunction = Callable[[LabFacts, Params], Outcome]


@dataclass(frozen=True)
class CheckSpec:
    name: str
    function: CheckFunction
    # "cib" and "status" are the cluster model; other names are probes (probes.py).
    needs: frozenset[str]
    defaults: Params


CHECKS: dict[str, CheckSpec] = {}


def check(name: str, needs: set[str], **defaults: Any) -> Callable[[CheckFunction], CheckFunction]:
    def register(function: CheckFunction) -> CheckFunction:
        CHECKS[name] = CheckSpec(name, function, frozenset(needs), defaults)
        return function

    return register


# ------------------------------------------------------------------ helpers

# Forms from older docs and the source lesson that current Pacemaker rejects.
BROKEN_PARAMS = {
    "VirtualDomain": {
        "domain": "use config=/caminho/do/dominio.xml (o nome do domínio vem do XML)",
        "hypervisor_uri": 'use hypervisor="qemu:///system"',
    },
    "remote": {
        "hostname": "use server=<endereço do nó remoto>",
        "reconnect_delay": "use reconnect_interval=<tempo> (ex.: reconnect_interval=60s)",
    },
}


def broken_param_hints(primitive: Primitive) -> list[str]:
    table = BROKEN_PARAMS.get(primitive.type, {})
    return [f"{name}= não existe no agente {primitive.agent}: {fix}"
            for name, fix in table.items() if name in primitive.params]


def is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in {"true", "yes", "1", "on", "y"}


def agent_matches(primitive: Primitive, patterns: list[str] | str) -> bool:
    if isinstance(patterns, str):
        patterns = [patterns]
    return any(fnmatch(primitive.agent.lower(), p.lower()) for p in patterns)


def primitives_of(cib: Cib, agent: str) -> list[Primitive]:
    return [p for p in cib.primitives.values() if agent_matches(p, agent)]


def join_names(items: list[str]) -> str:
    return ", ".join(items) if items else "nenhum"
