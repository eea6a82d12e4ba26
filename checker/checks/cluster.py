"""Checks every exercise starts with: the cluster itself."""

from __future__ import annotations

from checker.checks.base import Outcome, Params, check, failed, join_names, passed
from checker.facts import LabFacts


@check("cluster_online", {"status"})
def cluster_online(facts: LabFacts, params: Params) -> Outcome:
    assert facts.status is not None
    expected = [h.name for h in facts.inventory.cluster_hosts]
    offline, unknown = [], []
    for name in expected:
        node = facts.status.nodes.get(name)
        if node is None:
            unknown.append(name)
        elif not node.online or node.unclean:
            stopped_here = facts.nodes.get(name)
            reason = ""
            if stopped_here and stopped_here.output("status") and not stopped_here.output("status").ok:
                reason = " (Pacemaker parado nesse nó)"
            offline.append(name + reason)
    if unknown:
        return failed(
            f"Nós do inventário que não fazem parte do cluster: {join_names(unknown)}.",
            "Os nomes no inventário devem ser os nomes dos nós no cluster (pcs status nodes).",
        )
    if offline:
        names = " ".join(n.split()[0] for n in offline)
        return failed(
            f"Nós do cluster fora do ar: {join_names(offline)} (visto de {facts.read_from}).",
            f"Inicie o cluster neles: pcs cluster start {names}",
        )
    return passed(f"Todos os nós do cluster estão online: {join_names(expected)}.")
