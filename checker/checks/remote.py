"""Exercise 2: a Pacemaker Remote node and a resource placed on it."""

from __future__ import annotations

from checker.checks.base import (
    Outcome,
    Params,
    broken_param_hints,
    check,
    failed,
    join_names,
    passed,
    skipped,
)
from checker.facts import PACEMAKER_REMOTE_PORT, LabFacts
from checker.model import format_score


def _remote_names(facts: LabFacts) -> list[str]:
    return [h.name for h in facts.inventory.remote_hosts]


@check("remote_resource_defined", {"cib"})
def remote_resource_defined(facts: LabFacts, params: Params) -> Outcome:
    cib = facts.cib
    assert cib is not None
    remotes = cib.primitives_of("ocf:pacemaker:remote")
    legacy = [p for p in cib.primitives.values()
              if p.type == "remote_node" or (p.type == "remote" and broken_param_hints(p))]
    if legacy:
        hints = [h for p in legacy for h in broken_param_hints(p)]
        if any(p.type == "remote_node" for p in legacy):
            hints.insert(0, "o agente ocf:pacemaker:remote_node não existe: use ocf:pacemaker:remote")
        return failed(f"{legacy[0].id} usa uma forma que o Pacemaker não aceita.",
                      "; ".join(hints) + ". O jeito suportado: pcs cluster node add-remote "
                      "<nó> <endereço>.")
    if not remotes:
        return failed("Nenhum recurso ocf:pacemaker:remote na CIB.")
    expected = _remote_names(facts)
    ids = [p.id for p in remotes]
    missing = [n for n in expected if n not in ids]
    if missing:
        return failed(
            f"O inventário tem o nó remoto {join_names(missing)}, mas os recursos de conexão "
            f"se chamam {join_names(ids)}.",
            "O nome do recurso é o nome do nó remoto: pcs cluster node add-remote "
            f"{missing[0]} <endereço>.",
        )
    described = [f"{p.id} (server={p.params.get('server', p.id)}, "
                 f"porta {p.params.get('port', PACEMAKER_REMOTE_PORT)})" for p in remotes]
    return passed("Nó remoto definido com ocf:pacemaker:remote: " + ", ".join(described) + ".")


@check("remoted_running", {"remoted", "listening"})
def remoted_running(facts: LabFacts, params: Params) -> Outcome:
    nodes = facts.remote_nodes()
    if not nodes:
        return failed("O inventário não tem nós no grupo 'remote'.")
    problems = []
    for node in nodes:
        if not node.remoted_running():
            problems.append(f"pacemaker-remoted não está rodando em {node.host.name}")
        elif PACEMAKER_REMOTE_PORT not in node.listening_ports():
            problems.append(f"{node.host.name} não escuta na porta {PACEMAKER_REMOTE_PORT}")
    if problems:
        return failed("; ".join(problems) + ".")
    return passed(f"pacemaker-remoted rodando e escutando em {PACEMAKER_REMOTE_PORT}/tcp em "
                  f"{join_names([n.host.name for n in nodes])}.")


@check("remote_enabled_at_boot", {"systemd", "remote_enabled"})
def remote_enabled_at_boot(facts: LabFacts, params: Params) -> Outcome:
    nodes = facts.remote_nodes()
    if not nodes:
        return failed("O inventário não tem nós no grupo 'remote'.")
    if all(n.has_systemd is False for n in nodes):
        return skipped(f"{join_names([n.host.name for n in nodes])} não usa systemd: não dá para "
                       "verificar se o serviço sobe no boot.")
    disabled = [n.host.name for n in nodes if n.has_systemd
                and (n.output("remote_enabled") is None
                     or n.output("remote_enabled").text.strip() != "enabled")]
    if disabled:
        return failed(f"pacemaker_remote não está habilitado no boot em {join_names(disabled)}.")
    return passed("pacemaker_remote habilitado no boot.")


@check("authkey_consistent", {"authkey"})
def authkey_consistent(facts: LabFacts, params: Params) -> Outcome:
    nodes = facts.cluster_nodes() + facts.remote_nodes()
    digests = {n.host.name: n.authkey_digest() for n in nodes}
    missing = [name for name, d in digests.items() if d is None]
    if missing:
        return failed(f"/etc/pacemaker/authkey ausente ou ilegível em {join_names(missing)}.")
    groups: dict[str, list[str]] = {}
    for name, digest in digests.items():
        groups.setdefault(digest or "", []).append(name)
    if len(groups) > 1:
        parts = [f"{join_names(names)} (sha256 {d[:12]}…)" for d, names in groups.items()]
        return failed("A authkey difere entre os nós: " + "; ".join(parts) + ".")
    owners = {n.host.name: n.authkey_owner_mode() for n in facts.cluster_nodes()}
    wrong = [f"{name} ({om})" for name, om in owners.items()
             if om and not om.startswith("hacluster:haclient")]
    note = (" Atenção: nos nós do cluster o dono deve ser hacluster:haclient (modo 400, como o "
            "pcs grava, ou 640): " + join_names(wrong) + ".") if wrong else ""
    return passed(f"A mesma authkey em todos os {len(nodes)} nós (sha256 "
                  f"{next(iter(groups))[:12]}…).{note}")


@check("remote_online", {"status"})
def remote_online(facts: LabFacts, params: Params) -> Outcome:
    assert facts.status is not None
    names = _remote_names(facts)
    if not names:
        return failed("O inventário não tem nós no grupo 'remote'.")
    problems = []
    for name in names:
        node = facts.status.nodes.get(name)
        if node is None:
            problems.append(f"{name} não aparece no status do cluster")
        elif node.type != "remote":
            problems.append(f"{name} é um nó do tipo {node.type}, não remote")
        elif not node.online:
            problems.append(f"{name} aparece como RemoteOFFLINE")
    if problems:
        return failed("; ".join(problems) + ".")
    return passed(f"RemoteOnline: [ {' '.join(names)} ].")


@check("resource_on_remote", {"cib", "status"})
def resource_on_remote(facts: LabFacts, params: Params) -> Outcome:
    cib, status = facts.cib, facts.status
    assert cib is not None and status is not None
    names = set(_remote_names(facts))
    running_there: list[str] = []
    for primitive in cib.primitives.values():
        if primitive.agent == "ocf:pacemaker:remote":
            continue
        nodes = set(status.active_nodes(primitive.id)) & names
        if not nodes:
            continue
        running_there.append(primitive.id)
        placed = [c for c in cib.locations_for(primitive.id)
                  if c.node in nodes and c.score > 0 and not c.id.startswith("cli-")]
        if placed:
            return passed(f"{primitive.id} roda em {join_names(sorted(nodes))} pela restrição "
                          f"{placed[0].id} (score {format_score(placed[0].score)}).")
    if running_there:
        return failed(
            f"{join_names(running_there)} roda no nó remoto, mas nenhuma restrição o coloca lá.",
            f"pcs constraint location {running_there[0]} prefers {sorted(names)[0]}",
        )
    return failed("Nenhum recurso em execução no nó remoto.")
