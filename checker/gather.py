"""Reads the lab: one SSH round trip per node, then the parsed cluster model.

All nodes are read concurrently; each gets a single script holding every probe the
exercise needs (see probes.py). A node that cannot be read is recorded with the
reason, never raised, so the report can still show what could be judged.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from checker.boundary import (
    MAX_CIB_FILE_BYTES,
    clean_line,
    decode_node_output,
    read_untrusted_file,
)
from checker.errors import ModelError, NodeError
from checker.facts import LabFacts, NodeFacts
from checker.inventory import Host, Inventory
from checker.model import parse_cib, parse_status
from checker.probes import MODEL_PROBES, build_script, parse_output, probes_for
from checker.transport import SshOptions

__all__ = ["NodeReading", "SshOptions", "facts_from_cib_file", "gather", "read_node"]


@dataclass(frozen=True)
class NodeReading:
    facts: NodeFacts
    round_trips: int
    seconds: float


def read_node(host: Host, probe_names: Iterable[str], peers: list[str], ssh: SshOptions) -> NodeReading:
    started = time.perf_counter()
    facts = NodeFacts(host)
    probes = probes_for(probe_names, host.role)
    round_trips = 0
    if not probes:  # this exercise reads nothing on such a node: do not even connect
        return NodeReading(facts, 0, 0.0)
    try:
        with ssh.connect(host) as session:
            script, marker = build_script(probes, {"LABCHECK_PEERS": "\n".join(peers)})
            result = session.run_script(script)
            facts.probes = parse_output(result.stdout, marker)
            missing = [p.name for p in probes if p.name not in facts.probes]
            if missing:
                facts.error = (
                    f"a leitura foi interrompida (sem resposta para {', '.join(missing)}): "
                    f"{clean_line(result.stderr)[-200:]}"
                )
            round_trips = session.round_trips
    except NodeError as exc:
        facts.error = exc.reason
    return NodeReading(facts, round_trips, time.perf_counter() - started)


def _attach_cluster_model(facts: LabFacts) -> None:
    """Take the CIB and status from the first cluster node that could give them."""
    problems: list[str] = []
    for node in facts.cluster_nodes():
        if not node.reachable:
            problems.append(f"{node.host.name}: inacessível")
            continue
        cib_out, status_out = node.output("cib"), node.output("status")
        if cib_out is None:
            continue
        if not cib_out.ok:
            problems.append(f"{node.host.name}: Pacemaker não responde "
                            f"({clean_line(cib_out.text)[:120]})")
            continue
        try:
            cib = parse_cib(cib_out.text, f"CIB de {node.host.name}")
            status = (
                parse_status(status_out.text, f"crm_mon de {node.host.name}")
                if status_out is not None and status_out.ok
                else None
            )
        except ModelError as exc:
            problems.append(str(exc))
            continue
        facts.cib, facts.status, facts.read_from = cib, status, node.host.name
        return
    if problems:
        facts.cib_problem = "não foi possível ler o estado do cluster — " + "; ".join(problems)


def gather(
    inventory: Inventory, probe_names: Iterable[str], ssh: SshOptions | None = None
) -> tuple[LabFacts, dict[str, NodeReading]]:
    ssh = ssh or SshOptions()
    names = set(probe_names)
    if names & MODEL_PROBES:
        # The cluster model is the CIB and the status read together from one node.
        names |= MODEL_PROBES
    names = sorted(names)
    cluster = [h.name for h in inventory.cluster_hosts]
    with ThreadPoolExecutor(max_workers=max(1, len(inventory.hosts))) as pool:
        readings = list(
            pool.map(
                lambda h: read_node(h, names, [p for p in cluster if p != h.name], ssh),
                inventory.hosts,
            )
        )
    by_name = {r.facts.host.name: r for r in readings}
    facts = LabFacts(inventory=inventory, nodes={n: r.facts for n, r in by_name.items()})
    if MODEL_PROBES & set(names):
        _attach_cluster_model(facts)
    return facts, by_name


def facts_from_cib_file(path: Path) -> LabFacts:
    """Offline grading: a saved CIB (`pcs cluster cib > file`) and no live nodes."""
    data = read_untrusted_file(path, MAX_CIB_FILE_BYTES, "Arquivo da CIB", ModelError)
    text = decode_node_output(data)  # a student's file: as untrusted as a node's output
    cib = parse_cib(text, str(path))
    remote_ids = {p.id for p in cib.primitives_of("ocf:pacemaker:remote")}
    hosts = tuple(
        Host(name=n, address=n, role="remote" if n in remote_ids else "cluster")
        for n in cib.nodes
        if n
    ) + tuple(Host(name=r, address=r, role="remote") for r in sorted(remote_ids - set(cib.nodes)))
    inventory = Inventory(source=str(path), hosts=hosts)
    return LabFacts(
        inventory=inventory, nodes={}, cib=cib, read_from=str(path), offline=True
    )
