"""An OCF agent's own description: pure parsing of its `meta-data` XML (OCF 1.0 and 1.1).

What Pacemaker needs from it: the agent's name, the actions it implements with their
default timeouts (pcs turns them into the resource's operations) and its parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.errors import ModelError
from checker.model import parse_interval_ms, parse_xml

# Without these the cluster cannot run the agent: it starts, stops and monitors it, reads
# its meta-data, and pcs and the cluster call validate-all before using new parameters.
REQUIRED_ACTIONS = ("start", "stop", "monitor", "meta-data", "validate-all")


@dataclass(frozen=True)
class AgentAction:
    name: str
    timeout: str | None
    interval: str | None
    depth: str | None = None


@dataclass(frozen=True)
class AgentMetadata:
    name: str
    ocf_version: str | None  # <version>: the standard the agent follows ("1.1")
    actions: dict[str, AgentAction]
    parameters: tuple[str, ...]

    def missing_actions(self) -> list[str]:
        return [a for a in REQUIRED_ACTIONS if a not in self.actions]

    def actions_without_timeout(self) -> list[str]:
        return [a.name for a in self.actions.values()
                if a.name in REQUIRED_ACTIONS and parse_interval_ms(a.timeout) is None]


def parse_metadata(text: str, what: str = "meta-data") -> AgentMetadata:
    root = parse_xml(text, what, allow_doctype=True)
    if root.tag != "resource-agent":
        raise ModelError(f"{what}: o elemento raiz é <{root.tag}>, não <resource-agent>.")
    name = (root.get("name") or "").strip()
    if not name:
        raise ModelError(f"{what}: <resource-agent> sem o atributo name.")
    version = root.find("version")
    actions: dict[str, AgentAction] = {}
    for action in root.findall("actions/action"):
        action_name = (action.get("name") or "").strip()
        if action_name and action_name not in actions:
            actions[action_name] = AgentAction(action_name, action.get("timeout"),
                                               action.get("interval"), action.get("depth"))
    parameters = tuple(p.get("name", "") for p in root.findall("parameters/parameter"))
    return AgentMetadata(
        name=name,
        ocf_version=(version.text or "").strip() if version is not None else None,
        actions=actions,
        parameters=parameters,
    )
