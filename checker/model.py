"""The cluster as Pacemaker describes it: pure parsing of CIB and crm_mon XML.

Nothing here talks to a node. `parse_cib` reads `cibadmin -Q` / `pcs cluster cib`
output; `parse_status` reads `crm_mon -1 --output-as=xml` (Pacemaker 2.x schema).

The XML comes from a student's node, so it is parsed with bounds (no DTD or entities, a
limited number of elements and depth) and every number in it through `bounded_int`: any
document, however built, gives a model or a ModelError, never another exception.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from checker.boundary import bounded_int
from checker.errors import ModelError

INFINITY = 1_000_000  # Pacemaker's own value for INFINITY scores


def parse_score(text: str | None) -> int:
    if text is None or text.strip() == "":
        return 0
    value = text.strip().lower()
    if value in {"infinity", "+infinity", "inf", "+inf"}:
        return INFINITY
    if value in {"-infinity", "-inf"}:
        return -INFINITY
    number = bounded_int(value)
    return 0 if number is None else max(-INFINITY, min(INFINITY, number))


def format_score(score: int) -> str:
    if score >= INFINITY:
        return "INFINITY"
    if score <= -INFINITY:
        return "-INFINITY"
    return str(score)


_DURATION_UNITS_MS = {
    "": 1000, "s": 1000, "sec": 1000, "ms": 1, "msec": 1,
    "m": 60_000, "min": 60_000, "h": 3_600_000, "hr": 3_600_000,
    "us": 0.001, "usec": 0.001,
}
_ISO_DURATION = re.compile(r"^P(?:T(?:([0-9]{1,6})H)?(?:([0-9]{1,6})M)?(?:([0-9]{1,9})S)?)$",
                           re.IGNORECASE)
_DURATION = re.compile(r"([0-9]{1,12})\s*([a-zA-Z]{0,4})")


def parse_interval_ms(text: str | None) -> int | None:
    """'30s', '30', '30000ms', '1min', 'PT30S' -> milliseconds; None if unreadable."""
    if text is None:
        return None
    value = text.strip()
    iso = _ISO_DURATION.match(value)
    if iso and any(iso.groups()):
        hours, minutes, seconds = (int(g or 0) for g in iso.groups())
        return ((hours * 60 + minutes) * 60 + seconds) * 1000
    match = _DURATION.fullmatch(value)
    if not match or match.group(2).lower() not in _DURATION_UNITS_MS:
        return None
    return int(int(match.group(1)) * _DURATION_UNITS_MS[match.group(2).lower()])


@dataclass(frozen=True)
class Operation:
    name: str
    interval_ms: int | None
    raw_interval: str
    role: str | None = None
    timeout: str | None = None  # as written in the CIB ("20s"), None when not set


@dataclass(frozen=True)
class Primitive:
    id: str
    standard: str
    provider: str | None
    type: str
    params: dict[str, str]
    meta: dict[str, str]
    operations: tuple[Operation, ...]
    parent: str | None = None  # id of the group or clone holding it

    @property
    def agent(self) -> str:
        """'ocf:heartbeat:IPaddr2', 'systemd:postgresql', as pcs and crm_mon write it."""
        parts = [self.standard, self.provider, self.type]
        return ":".join(p for p in parts if p)

    def monitor_intervals_ms(self) -> list[int]:
        return [
            op.interval_ms
            for op in self.operations
            if op.name == "monitor" and op.interval_ms
        ]

    def recurring_monitors(self) -> list[Operation]:
        return [op for op in self.operations if op.name == "monitor" and op.interval_ms]


@dataclass(frozen=True)
class Group:
    id: str
    members: tuple[str, ...]
    meta: dict[str, str]
    parent: str | None = None


@dataclass(frozen=True)
class Clone:
    id: str
    child: str
    meta: dict[str, str]

    @property
    def promotable(self) -> bool:
        return self.meta.get("promotable", "false").lower() in {"true", "yes", "1", "on"}


@dataclass(frozen=True)
class LocationConstraint:
    id: str
    resource: str | None
    node: str | None
    score: int
    has_rules: bool
    role: str | None = None


@dataclass(frozen=True)
class HistoryOp:
    """One entry of the CIB status section's operation history (lrm_rsc_op)."""

    resource: str
    node: str
    operation: str
    rc: int
    op_status: int
    call_id: int
    interval_ms: int
    last_change: int
    exit_reason: str = ""

    @property
    def succeeded(self) -> bool:
        return self.rc == 0 and self.op_status == 0

    @property
    def is_probe(self) -> bool:
        """A one-time monitor (interval 0): Pacemaker asking "is it running here?"."""
        return self.operation == "monitor" and self.interval_ms == 0


@dataclass(frozen=True)
class FailCount:
    """fail-count-<resource>#<operation>_<interval> of one node (status section)."""

    resource: str
    operation: str  # "monitor_10000", "start_0"
    node: str
    count: int


@dataclass
class Cib:
    epoch: tuple[int, int, int]  # admin_epoch, epoch, num_updates
    properties: dict[str, str]
    nodes: tuple[str, ...]
    primitives: dict[str, Primitive]
    groups: dict[str, Group]
    clones: dict[str, Clone]
    locations: tuple[LocationConstraint, ...]
    history: tuple[HistoryOp, ...] = field(default=())
    fail_counts: tuple[FailCount, ...] = field(default=())
    resource_defaults: dict[str, str] = field(default_factory=dict)  # rsc_defaults meta

    def history_of(self, resource: str) -> list[HistoryOp]:
        return [op for op in self.history if op.resource == resource]

    def fail_count(self, resource: str) -> int:
        return sum(f.count for f in self.fail_counts if f.resource == resource)

    def meta_of(self, primitive: Primitive) -> dict[str, str]:
        """The meta attributes that apply: rsc_defaults, then its parents', then its own."""
        meta = dict(self.resource_defaults)
        chain: list[dict[str, str]] = []
        parent = primitive.parent
        while parent:
            holder = self.groups.get(parent) or self.clones.get(parent)
            if holder is None:
                break
            chain.append(holder.meta)
            parent = holder.parent if isinstance(holder, Group) else None
        for parent_meta in reversed(chain):
            meta.update(parent_meta)
        meta.update(primitive.meta)
        return meta

    def primitives_of(self, agent: str) -> list[Primitive]:
        wanted = agent.lower()
        return [p for p in self.primitives.values() if p.agent.lower() == wanted]

    def resource_ids_containing(self, primitive_id: str) -> list[str]:
        """The primitive and every group/clone that holds it (constraints may name any)."""
        ids = [primitive_id]
        parent = self.primitives[primitive_id].parent if primitive_id in self.primitives else None
        while parent:
            ids.append(parent)
            parent = (
                self.groups[parent].parent
                if parent in self.groups
                else None
            )
        return ids

    def locations_for(self, primitive_id: str) -> list[LocationConstraint]:
        ids = set(self.resource_ids_containing(primitive_id))
        return [c for c in self.locations if c.resource in ids]


# A real CIB has a few thousand elements and is about ten levels deep.
MAX_XML_ELEMENTS = 200_000
MAX_XML_DEPTH = 64
_XML_CHUNK = 1 << 20


# An agent's meta-data may carry its grammar inline (<!DOCTYPE resource-agent [...]>, for
# ocf-tester's xmllint --valid) or name ra-api-1.dtd; without entities it says nothing a
# parser needs, so it is cut out before parsing.
_DOCTYPE = re.compile(r"<!DOCTYPE\s[^\[>]*(?:\[[^\]]*\])?\s*>")


def parse_xml(text: str, what: str, allow_doctype: bool = False) -> ET.Element:
    """Bounded parse of a node's XML; `allow_doctype` drops a DOCTYPE that declares no entity."""
    if allow_doctype and "<!ENTITY" not in text:
        text = _DOCTYPE.sub("", text, count=1)
    return _parse_xml(text, what)


def _parse_xml(text: str, what: str) -> ET.Element:
    if not text or not text.strip():
        raise ModelError(f"{what}: documento vazio.")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        # Pacemaker never writes a DTD; refusing one refuses entity expansion bombs and
        # external entities before any parser sees them.
        raise ModelError(f"{what}: XML com DTD ou entidades não é aceito.")
    parser = ET.XMLPullParser(events=("start", "end"))
    root: ET.Element | None = None
    elements = depth = 0
    try:
        for offset in range(0, len(text), _XML_CHUNK):
            parser.feed(text[offset : offset + _XML_CHUNK])
            for event, element in parser.read_events():
                if event == "end":
                    depth -= 1
                    continue
                root = element if root is None else root
                elements += 1
                depth += 1
                if elements > MAX_XML_ELEMENTS or depth > MAX_XML_DEPTH:
                    raise ModelError(f"{what}: XML grande ou aninhado demais para ser uma "
                                     f"saída do Pacemaker (mais de {MAX_XML_ELEMENTS} "
                                     f"elementos ou {MAX_XML_DEPTH} níveis).")
        parser.close()
    except ET.ParseError as exc:
        raise ModelError(f"{what}: XML inválido ou truncado ({exc}).") from None
    if root is None:
        raise ModelError(f"{what}: documento vazio.")
    return root


def _nvpairs(element: ET.Element, section: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for attrs in element.findall(section):
        for nv in attrs.findall("nvpair"):
            name = nv.get("name")
            if name is not None:
                values[name] = nv.get("value", "")
    return values


def _primitive(element: ET.Element, parent: str | None) -> Primitive:
    ops = tuple(
        Operation(
            name=op.get("name", ""),
            interval_ms=parse_interval_ms(op.get("interval", "0")),
            raw_interval=op.get("interval", "0"),
            role=op.get("role"),
            timeout=op.get("timeout"),
        )
        for op in element.findall("operations/op")
    )
    return Primitive(
        id=element.get("id", ""),
        standard=element.get("class", ""),
        provider=element.get("provider"),
        type=element.get("type", ""),
        params=_nvpairs(element, "instance_attributes"),
        meta=_nvpairs(element, "meta_attributes"),
        operations=ops,
        parent=parent,
    )


def parse_cib(text: str, what: str = "CIB") -> Cib:
    root = _parse_xml(text, what)
    if root.tag != "cib":
        raise ModelError(f"{what}: o elemento raiz é <{root.tag}>, não <cib>.")
    config = root.find("configuration")
    if config is None:
        raise ModelError(f"{what}: sem a seção <configuration>.")

    primitives: dict[str, Primitive] = {}
    groups: dict[str, Group] = {}
    clones: dict[str, Clone] = {}

    def walk(element: ET.Element, parent: str | None) -> None:
        for child in element:
            cid = child.get("id", "")
            if child.tag == "primitive":
                primitives[cid] = _primitive(child, parent)
            elif child.tag == "group":
                members = tuple(p.get("id", "") for p in child.findall("primitive"))
                groups[cid] = Group(cid, members, _nvpairs(child, "meta_attributes"), parent)
                walk(child, cid)
            elif child.tag in {"clone", "master"}:
                inner = next((c for c in child if c.tag in {"primitive", "group"}), None)
                meta = _nvpairs(child, "meta_attributes")
                if child.tag == "master":  # pre-2.0 spelling of a promotable clone
                    meta.setdefault("promotable", "true")
                clones[cid] = Clone(cid, inner.get("id", "") if inner is not None else "", meta)
                walk(child, cid)

    resources = config.find("resources")
    if resources is not None:
        walk(resources, None)
    # A group inside a clone: record the clone as the group's parent.
    for clone in clones.values():
        if clone.child in groups:
            g = groups[clone.child]
            groups[clone.child] = Group(g.id, g.members, g.meta, clone.id)

    locations = tuple(
        LocationConstraint(
            id=loc.get("id", ""),
            resource=loc.get("rsc"),
            node=loc.get("node"),
            score=parse_score(loc.get("score")),
            has_rules=loc.find("rule") is not None,
            role=loc.get("role"),
        )
        for loc in config.findall("constraints/rsc_location")
    )

    def epoch_part(name: str) -> int:
        return bounded_int(root.get(name, "0"), 0) or 0

    return Cib(
        epoch=(epoch_part("admin_epoch"), epoch_part("epoch"), epoch_part("num_updates")),
        properties=_nvpairs(config, "crm_config/cluster_property_set"),
        nodes=tuple(n.get("uname", "") for n in config.findall("nodes/node")),
        primitives=primitives,
        groups=groups,
        clones=clones,
        locations=locations,
        history=_history(root.find("status")),
        fail_counts=_fail_counts(root.find("status")),
        resource_defaults=_nvpairs(config, "rsc_defaults/meta_attributes"),
    )


def _int(value: str | None, default: int = 0) -> int:
    number = bounded_int(value)
    return default if number is None else number


def _history(status: ET.Element | None) -> tuple[HistoryOp, ...]:
    if status is None:
        return ()
    ops: list[HistoryOp] = []
    for node_state in status.findall("node_state"):
        # The node the operation ran on is the node_state's. An operation's on_node names
        # the cluster node that relayed it: for a remote node, the one hosting the connection.
        node = node_state.get("uname", "")
        for lrm_resource in node_state.findall("lrm/lrm_resources/lrm_resource"):
            rid = lrm_resource.get("id", "")
            for op in lrm_resource.findall("lrm_rsc_op"):
                ops.append(
                    HistoryOp(
                        resource=rid,
                        node=node or op.get("on_node", ""),
                        operation=op.get("operation", ""),
                        rc=_int(op.get("rc-code"), -1),
                        op_status=_int(op.get("op-status"), -1),
                        call_id=_int(op.get("call-id"), -1),
                        interval_ms=_int(op.get("interval")),
                        last_change=_int(op.get("last-rc-change")),
                        exit_reason=op.get("exit-reason", ""),
                    )
                )
    return tuple(ops)


_FAIL_COUNT = re.compile(r"^fail-count-(.+)#([A-Za-z_-]+_[0-9]{1,12})$")


def _fail_counts(status: ET.Element | None) -> tuple[FailCount, ...]:
    if status is None:
        return ()
    counts: list[FailCount] = []
    for node_state in status.findall("node_state"):
        node = node_state.get("uname", "")
        for nv in node_state.findall("transient_attributes/instance_attributes/nvpair"):
            match = _FAIL_COUNT.match(nv.get("name", ""))
            if match:
                count = max(0, min(INFINITY, parse_score(nv.get("value"))))
                counts.append(FailCount(match.group(1), match.group(2), node, count))
    return tuple(counts)


# ---------------------------------------------------------------- crm_mon status


@dataclass(frozen=True)
class NodeStatus:
    name: str
    online: bool
    type: str  # "member", "remote", "ping"
    standby: bool
    unclean: bool


@dataclass(frozen=True)
class ResourceStatus:
    id: str
    agent: str
    role: str
    active: bool
    failed: bool
    nodes: tuple[str, ...]
    parent: str | None = None


@dataclass
class ClusterStatus:
    nodes: dict[str, NodeStatus]
    resources: dict[str, list[ResourceStatus]]  # id -> instances (clones have several)
    has_quorum: bool | None = None

    def instances(self, resource_id: str) -> list[ResourceStatus]:
        return self.resources.get(resource_id, [])

    def active_nodes(self, resource_id: str) -> list[str]:
        return sorted(
            {n for r in self.instances(resource_id) if r.active for n in r.nodes}
        )


def _bool(value: str | None) -> bool:
    return (value or "").lower() == "true"


def parse_status(text: str, what: str = "crm_mon") -> ClusterStatus:
    root = _parse_xml(text, what)
    if root.tag not in {"pacemaker-result", "crm_mon"}:
        raise ModelError(f"{what}: o elemento raiz é <{root.tag}>, não <pacemaker-result>.")
    status = root.find("status")
    if status is not None and status.get("code", "0") != "0":
        errors = "; ".join((e.text or "").strip() for e in status.findall("errors/error"))
        raise ModelError(f"{what}: {status.get('message', 'erro')} {errors}".strip())
    if root.find("nodes") is None:
        raise ModelError(f"{what}: sem a lista de nós (saída incompleta).")

    nodes = {
        n.get("name", ""): NodeStatus(
            name=n.get("name", ""),
            online=_bool(n.get("online")),
            type=n.get("type", "member"),
            standby=_bool(n.get("standby")),
            unclean=_bool(n.get("unclean")),
        )
        for n in root.findall("nodes/node")
    }
    resources: dict[str, list[ResourceStatus]] = {}

    def walk(element: ET.Element, parent: str | None) -> None:
        for child in element:
            if child.tag == "resource":
                rid = child.get("id", "")
                # Clone instances are reported as "id:0", "id:1" on some versions.
                rid = rid.split(":", 1)[0]
                resources.setdefault(rid, []).append(
                    ResourceStatus(
                        id=rid,
                        agent=child.get("resource_agent", ""),
                        role=child.get("role", ""),
                        active=_bool(child.get("active")),
                        failed=_bool(child.get("failed")),
                        nodes=tuple(n.get("name", "") for n in child.findall("node")),
                        parent=parent,
                    )
                )
            elif child.tag in {"group", "clone", "bundle"}:
                walk(child, child.get("id"))

    res = root.find("resources")
    if res is not None:
        walk(res, None)
    quorum = None
    dc = root.find("summary/current_dc")
    if dc is not None and dc.get("with_quorum") is not None:
        quorum = _bool(dc.get("with_quorum"))
    return ClusterStatus(nodes=nodes, resources=resources, has_quorum=quorum)
