"""Exercise 3: PostgreSQL behind a virtual IP, in one group; bonus promotable clone."""

from __future__ import annotations

from checker.checks.base import (
    Outcome,
    Params,
    agent_matches,
    blocked,
    check,
    failed,
    join_names,
    passed,
)
from checker.facts import LabFacts
from checker.model import Cib, Primitive


@check("postgres_installed", {"postgres"})
def postgres_installed(facts: LabFacts, params: Params) -> Outcome:
    missing = [n.host.name for n in facts.cluster_nodes() if not n.postgres_binaries()]
    if missing:
        return failed(f"PostgreSQL não instalado em {join_names(missing)}.")
    return passed("PostgreSQL instalado em todos os nós do cluster.")


DB_AGENTS_DEFAULT = ["systemd:postgresql", "systemd:postgresql@*", "ocf:heartbeat:pgsql",
                     "ocf:heartbeat:pgsqlms"]


def _pg_group(cib: Cib, params: Params) -> tuple[str, Primitive, Primitive] | None:
    for group in cib.groups.values():
        members = [cib.primitives[m] for m in group.members if m in cib.primitives]
        ip = next((p for p in members if agent_matches(p, params["ip_agent"])), None)
        db = next((p for p in members if agent_matches(p, params["db_agents"])), None)
        if ip and db:
            return group.id, ip, db
    return None


@check("pg_group", {"cib"}, ip_agent="ocf:heartbeat:IPaddr2", db_agents=DB_AGENTS_DEFAULT)
def pg_group(facts: LabFacts, params: Params) -> Outcome:
    cib = facts.cib
    assert cib is not None
    found = _pg_group(cib, params)
    if found:
        group, ip, db = found
        if not ip.params.get("ip"):
            return failed(f"{ip.id} não tem o parâmetro ip=.")
        note = ""
        if db.agent == "systemd:postgresql":
            note = (" Em Debian/Ubuntu, prefira systemd:postgresql@<versão>-main: a unidade "
                    "postgresql é um guarda-chuva e o monitor não percebe se o banco cair.")
        return passed(f"Grupo {group}: {ip.id} ({ip.agent} ip={ip.params['ip']}) e "
                      f"{db.id} ({db.agent}).{note}")
    ips = [p.id for p in cib.primitives.values() if agent_matches(p, params["ip_agent"])]
    dbs = [p.id for p in cib.primitives.values() if agent_matches(p, params["db_agents"])]
    if ips and dbs:
        return failed(f"{ips[0]} e {dbs[0]} existem, mas não estão no mesmo grupo.",
                      f"pcs resource group add pg-group {ips[0]} {dbs[0]}")
    missing = []
    if not ips:
        missing.append(f"um IP virtual ({params['ip_agent']})")
    if not dbs:
        missing.append("um recurso PostgreSQL (systemd:postgresql ou ocf:heartbeat:pgsql)")
    return failed("Falta " + " e ".join(missing) + ".")


@check("group_started_together", {"cib", "status"}, ip_agent="ocf:heartbeat:IPaddr2",
       db_agents=DB_AGENTS_DEFAULT)
def group_started_together(facts: LabFacts, params: Params) -> Outcome:
    cib, status = facts.cib, facts.status
    assert cib is not None and status is not None
    found = _pg_group(cib, params)
    if not found:
        return blocked("Ainda não há um grupo com o IP virtual e o PostgreSQL.",
                       "Crie primeiro o grupo (passo do IP virtual e PostgreSQL no mesmo grupo).")
    group = cib.groups[found[0]]
    placement = {m: status.active_nodes(m) for m in group.members}
    stopped = [m for m, nodes in placement.items() if not nodes]
    if stopped:
        return failed(f"Parados no grupo {group.id}: {join_names(stopped)}.",
                      "Veja o motivo com pcs status --full; corrija e rode "
                      f"pcs resource cleanup {group.id}.")
    nodes = sorted({n for ns in placement.values() for n in ns})
    if len(nodes) != 1:
        return failed(f"Os membros de {group.id} estão espalhados: {placement}.")
    return passed(f"{group.id} iniciado em {nodes[0]} ({join_names(list(group.members))}).")


@check("pg_answers_on_vip", {"cib", "pg_vip"}, ip_agent="ocf:heartbeat:IPaddr2",
       db_agents=DB_AGENTS_DEFAULT)
def pg_answers_on_vip(facts: LabFacts, params: Params) -> Outcome:
    cib = facts.cib
    assert cib is not None
    found = _pg_group(cib, params)
    if not found or not found[1].params.get("ip"):
        return blocked("Ainda não há um grupo com IP virtual e PostgreSQL para testar.",
                       "Crie primeiro o grupo (passo do IP virtual e PostgreSQL no mesmo grupo).")
    vip = found[1].params["ip"]
    details = []
    for node in facts.cluster_nodes():
        for probe in node.pg_probes():
            if probe.address != vip:
                continue
            if probe.accepting:
                return passed(f"O PostgreSQL aceita conexões em {vip}:5432 "
                              f"(pg_isready em {node.host.name}).")
            details.append(f"{node.host.name}: {probe.detail or 'sem resposta'}")
    hint = None
    if any("not found" in d for d in details):
        hint = "Instale o cliente (postgresql-client) para ter pg_isready."
    elif details:
        hint = ("Confira listen_addresses = '*' (ou o IP virtual) no postgresql.conf e a "
                "ordem do grupo: o IP antes do banco.")
    return failed(f"O PostgreSQL não responde em {vip}:5432 ({'; '.join(details) or 'sem teste'}).",
                  hint)


@check("promotable_pg", {"cib", "status"}, agents=["ocf:heartbeat:pgsql", "ocf:heartbeat:pgsqlms"])
def promotable_pg(facts: LabFacts, params: Params) -> Outcome:
    cib, status = facts.cib, facts.status
    assert cib is not None and status is not None
    for clone in cib.clones.values():
        child = cib.primitives.get(clone.child)
        if child is None or not agent_matches(child, params["agents"]):
            continue
        if not clone.promotable:
            return failed(f"O clone {clone.id} não é promotable.",
                          "Crie-o com pcs resource create ... promotable (pcs 0.10+).")
        roles = [i.role for i in status.instances(child.id) if i.active]
        promoted = [r for r in roles if r in {"Promoted", "Master"}]
        if len(promoted) == 1:
            return passed(f"{clone.id}: uma instância promovida e {len(roles) - 1} não promovida(s).")
        return failed(f"{clone.id}: {len(promoted)} instâncias promovidas (esperado 1).")
    return failed("Nenhum clone promovível de pgsql/pgsqlms.")
