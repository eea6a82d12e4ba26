"""Readiness of the lab itself, checked by `labcheck start` before an exercise begins.

These judge what the lab must already provide (libvirt, files, offline packages), not
what the student does; exercises list them under `ready:`.
"""

from __future__ import annotations

from fnmatch import fnmatch

from checker.checks.base import Outcome, Params, check, failed, join_names, passed
from checker.facts import LabFacts, NodeFacts


def _nodes(facts: LabFacts, role: str) -> list[NodeFacts]:
    if role == "remote":
        return facts.remote_nodes()
    if role == "all":
        return facts.cluster_nodes() + facts.remote_nodes()
    return facts.cluster_nodes()


@check("libvirt_answers", {"libvirt_domains"})
def libvirt_answers(facts: LabFacts, params: Params) -> Outcome:
    silent = {}
    for node in facts.cluster_nodes():
        out = node.output("libvirt_domains")
        if out is None or not out.ok:
            last = (out.text.strip().splitlines() or [""])[-1] if out else ""
            silent[node.host.name] = last
    if not silent:
        return passed("O libvirt responde em "
                      + join_names([n.host.name for n in facts.cluster_nodes()]) + ".")
    detail = "; ".join(f"{name}: {why}" if why else name for name, why in silent.items())
    return failed(f"O libvirt não responde em {detail}.")


@check("lab_files_present", {"lab_files"}, paths=[], role="cluster")
def lab_files_present(facts: LabFacts, params: Params) -> Outcome:
    patterns: list[str] = list(params["paths"])
    nodes = _nodes(facts, str(params["role"]))
    if not nodes:
        return failed("Nenhum nó com esse papel no inventário.")
    missing = []
    for node in nodes:
        files = node.lab_files()
        lacking = [p for p in patterns if not any(fnmatch(f, p) for f in files)]
        if lacking:
            missing.append(f"{node.host.name} (falta {join_names(lacking)})")
    if missing:
        return failed("Arquivos do laboratório ausentes: " + "; ".join(missing) + ".")
    return passed(f"{join_names(patterns)} em {join_names([n.host.name for n in nodes])}.")
