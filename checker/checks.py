"""The checks: pure functions of `LabFacts` that say whether one step was done.

Exercises (labs/exerciseN.yaml) name a check and give its parameters; the
grader calls it only when the facts it `needs` were read. A check returns an
`Outcome` with a pt-BR message and, where it knows better than the step's
generic hint, a specific hint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatch
from typing import Any

from checker.facts import PACEMAKER_REMOTE_PORT, LabFacts
from checker.model import Cib, Primitive, format_score, parse_interval_ms

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


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"true", "yes", "1", "on", "y"}


def _agent_matches(primitive: Primitive, patterns: list[str] | str) -> bool:
    if isinstance(patterns, str):
        patterns = [patterns]
    return any(fnmatch(primitive.agent.lower(), p.lower()) for p in patterns)


def _primitives(cib: Cib, agent: str) -> list[Primitive]:
    return [p for p in cib.primitives.values() if _agent_matches(p, agent)]


def _names(items: list[str]) -> str:
    return ", ".join(items) if items else "nenhum"


# ------------------------------------------------------------------ common


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
            f"Nós do inventário que não fazem parte do cluster: {_names(unknown)}.",
            "Os nomes no inventário devem ser os nomes dos nós no cluster (pcs status nodes).",
        )
    if offline:
        names = " ".join(n.split()[0] for n in offline)
        return failed(
            f"Nós do cluster fora do ar: {_names(offline)} (visto de {facts.read_from}).",
            f"Inicie o cluster neles: pcs cluster start {names}",
        )
    return passed(f"Todos os nós do cluster estão online: {_names(expected)}.")


# ------------------------------------------------------------------ exercise 1


@check("ssh_between_nodes", {"ssh_peers"})
def ssh_between_nodes(facts: LabFacts, params: Params) -> Outcome:
    nodes = facts.cluster_nodes()
    if len(nodes) < 2:
        return skipped("Há um só nó do cluster no inventário: não há outro host para testar.")
    problems, hint = [], None
    for node in nodes:
        results = {r.peer: r for r in node.ssh_peers()}
        for peer in (n.host.name for n in nodes if n is not node):
            result = results.get(peer)
            if result is None:
                problems.append(f"{node.host.name} → {peer}: não testado")
            elif not result.ok:
                problems.append(f"{node.host.name} → {peer}: {result.detail or 'falhou'}")
                if "Host key verification failed" in result.detail:
                    hint = (f"Em {node.host.name}, conecte uma vez com ssh {peer} e aceite a chave "
                            "de host (ou use ssh-keyscan) para que o modo BatchMode funcione.")
                elif "Permission denied" in result.detail:
                    hint = (f"Em {node.host.name}: ssh-keygen -t ed25519 (sem senha) e "
                            f"ssh-copy-id root@{peer}.")
                elif "Could not resolve" in result.detail:
                    hint = f"{node.host.name} não resolve o nome {peer}: confira /etc/hosts."
    if problems:
        return failed("SSH sem senha falhou: " + "; ".join(problems) + ".", hint)
    pairs = [f"{a.host.name} ↔ {b.host.name}" for i, a in enumerate(nodes) for b in nodes[i + 1:]]
    return passed("SSH sem senha (BatchMode) funciona nos dois sentidos: " + ", ".join(pairs) + ".")


def _vm_primitives(facts: LabFacts, params: Params) -> list[Primitive]:
    assert facts.cib is not None
    return _primitives(facts.cib, params["agent"])


def _no_vm_yet(params: Params, qualifier: str = "") -> Outcome:
    return blocked(f"Nenhum recurso {params['agent']} {qualifier}na CIB.",
                   "Crie primeiro o recurso da VM (passo do recurso VirtualDomain).")


@check("vm_resource_configured", {"cib"}, agent="ocf:heartbeat:VirtualDomain",
       hypervisor="qemu:///system", migration_transport="ssh", monitor_interval="30s",
       allow_migrate=True)
def vm_resource_configured(facts: LabFacts, params: Params) -> Outcome:
    cib = facts.cib
    assert cib is not None
    vms = _vm_primitives(facts, params)
    if not vms:
        legacy = [p for p in cib.primitives.values() if broken_param_hints(p)]
        if legacy:
            return failed(f"{legacy[0].id} usa parâmetros que não existem.",
                          "; ".join(broken_param_hints(legacy[0])) + ".")
        return failed(f"Nenhum recurso {params['agent']} na CIB.")
    best: tuple[int, str, list[str]] | None = None
    for vm in vms:
        problems: list[str] = []
        hints = broken_param_hints(vm)
        if not vm.params.get("config"):
            problems.append("falta config= (o XML do domínio)")
        if vm.params.get("hypervisor", "") != params["hypervisor"]:
            problems.append(f"hypervisor={vm.params.get('hypervisor', '(ausente)')}, "
                            f"esperado {params['hypervisor']}")
        if vm.params.get("migration_transport", "") != params["migration_transport"]:
            problems.append(f"migration_transport={vm.params.get('migration_transport', '(ausente)')},"
                            f" esperado {params['migration_transport']}")
        want = parse_interval_ms(str(params["monitor_interval"]))
        if want not in vm.monitor_intervals_ms():
            seen = [op.raw_interval for op in vm.operations if op.name == "monitor"]
            problems.append(f"monitor a cada {params['monitor_interval']} ausente "
                            f"(intervalos: {_names(seen)})")
        if params["allow_migrate"] and not _truthy(vm.meta.get("allow-migrate")):
            problems.append("meta allow-migrate=true ausente (sem ele a VM é parada e "
                            "iniciada, não migrada)")
        if best is None or len(problems) < best[0]:
            best = (len(problems), vm.id, problems + [f"cuidado: {h}" for h in hints])
    assert best is not None
    _, vm_id, problems = best
    if problems:
        return failed(f"{vm_id}: " + "; ".join(problems) + ".")
    vm = cib.primitives[vm_id]
    return passed(f"{vm_id}: config={vm.params['config']}, hypervisor={vm.params['hypervisor']}, "
                  f"migration_transport={vm.params['migration_transport']}, monitor "
                  f"{params['monitor_interval']}, allow-migrate=true.")


@check("vm_config_on_all_nodes", {"cib", "vm_configs"}, agent="ocf:heartbeat:VirtualDomain")
def vm_config_on_all_nodes(facts: LabFacts, params: Params) -> Outcome:
    vms = [vm for vm in _vm_primitives(facts, params) if vm.params.get("config")]
    if not vms:
        return _no_vm_yet(params, "com config= ")
    problems: list[str] = []
    for vm in vms:
        path = vm.params["config"]
        domains = set()
        for node in facts.cluster_nodes():
            entry = next((c for c in node.vm_configs() if c.path == path), None)
            if entry is None or not entry.present:
                problems.append(f"{path} ausente em {node.host.name}")
                continue
            domains.add(entry.domain or "?")
            problems += [f"disco {disk} ausente em {node.host.name}"
                         for disk, ok in entry.disks.items() if not ok]
        if len(domains) > 1:
            problems.append(f"{path} define domínios diferentes nos nós: {_names(sorted(domains))}")
    if problems:
        return failed("; ".join(problems) + ".")
    paths = ", ".join(vm.params["config"] for vm in vms)
    return passed(f"{paths} presente em todos os nós do cluster, com os discos acessíveis.")


def _running_outside_cluster(facts: LabFacts, vm: Primitive, cluster_node: str) -> list[str]:
    """Hosts other than `cluster_node` where libvirt runs the VM's domain: a VM started by
    hand beside the cluster's copy writes to the same disk from two hosts."""
    names = {c.domain for n in facts.cluster_nodes() for c in n.vm_configs()
             if c.path == vm.params.get("config") and c.domain}
    elsewhere = []
    for node in facts.cluster_nodes():
        domains = node.libvirt_domains()  # None where virsh is missing (namespace lab)
        if node.host.name != cluster_node and domains and names & domains[1]:
            elsewhere.append(node.host.name)
    return elsewhere


@check("resource_running_once", {"cib", "status", "libvirt_domains", "vm_configs"},
       agent="ocf:heartbeat:VirtualDomain")
def resource_running_once(facts: LabFacts, params: Params) -> Outcome:
    assert facts.status is not None
    vms = _vm_primitives(facts, params)
    if not vms:
        return _no_vm_yet(params)
    messages = []
    for vm in vms:
        instances = facts.status.instances(vm.id)
        nodes = facts.status.active_nodes(vm.id)
        if any(i.failed for i in instances):
            messages.append(f"{vm.id} está em falha")
        elif len(nodes) == 1:
            outside = _running_outside_cluster(facts, vm, nodes[0])
            if outside:
                return failed(
                    f"{vm.id} roda sob o cluster em {nodes[0]}, mas o libvirt também a roda em "
                    f"{_names(outside)}: duas cópias no mesmo disco o corrompem.",
                    f"Em {outside[0]}: virsh destroy <domínio>; inicie a VM só pelo cluster.")
            return passed(f"{vm.id} em execução sob o cluster em {nodes[0]}.")
        elif not nodes:
            messages.append(f"{vm.id} está parado")
        else:
            messages.append(f"{vm.id} ativo em {len(nodes)} nós ao mesmo tempo: {_names(nodes)}")
    return failed("; ".join(messages) + ".")


@check("resource_moved", {"cib"}, agent="ocf:heartbeat:VirtualDomain")
def resource_moved(facts: LabFacts, params: Params) -> Outcome:
    assert facts.cib is not None
    vms = _vm_primitives(facts, params)
    if not vms:
        return _no_vm_yet(params)
    for vm in vms:
        ops = [op for op in facts.cib.history if op.resource == vm.id and op.succeeded]
        migrations = [op for op in ops if op.operation in {"migrate_to", "migrate_from"}]
        if migrations:
            src = next((op.node for op in migrations if op.operation == "migrate_to"), "?")
            dst = next((op.node for op in migrations if op.operation == "migrate_from"), "?")
            return passed(f"{vm.id} foi migrado ao vivo ({src} → {dst}).")
        ran_on = sorted({op.node for op in ops if op.operation in {"start", "stop"}})
        if len(ran_on) >= 2:
            return passed(f"{vm.id} já rodou em mais de um nó ({_names(ran_on)}): foi movido.")
    return failed("O histórico de operações da CIB não mostra a VM mudando de nó.")


@check("no_leftover_move_constraints", {"cib"})
def no_leftover_move_constraints(facts: LabFacts, params: Params) -> Outcome:
    assert facts.cib is not None
    leftovers = [c for c in facts.cib.locations if c.id.startswith(("cli-prefer-", "cli-ban-"))]
    if leftovers:
        resources = sorted({c.resource or "?" for c in leftovers})
        return failed(
            "Restrições deixadas por move/ban: " + _names([c.id for c in leftovers]) + ".",
            "Remova-as com " + " e ".join(f"pcs resource clear {r}" for r in resources)
            + " — senão o recurso fica preso a um nó.",
        )
    return passed("Nenhuma restrição cli-prefer/cli-ban esquecida.")


# ------------------------------------------------------------------ exercise 2


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
            f"O inventário tem o nó remoto {_names(missing)}, mas os recursos de conexão "
            f"se chamam {_names(ids)}.",
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
                  f"{_names([n.host.name for n in nodes])}.")


@check("remote_enabled_at_boot", {"systemd", "remote_enabled"})
def remote_enabled_at_boot(facts: LabFacts, params: Params) -> Outcome:
    nodes = facts.remote_nodes()
    if not nodes:
        return failed("O inventário não tem nós no grupo 'remote'.")
    if all(n.has_systemd is False for n in nodes):
        return skipped(f"{_names([n.host.name for n in nodes])} não usa systemd: não dá para "
                       "verificar se o serviço sobe no boot.")
    disabled = [n.host.name for n in nodes if n.has_systemd
                and (n.output("remote_enabled") is None
                     or n.output("remote_enabled").text.strip() != "enabled")]
    if disabled:
        return failed(f"pacemaker_remote não está habilitado no boot em {_names(disabled)}.")
    return passed("pacemaker_remote habilitado no boot.")


@check("authkey_consistent", {"authkey"})
def authkey_consistent(facts: LabFacts, params: Params) -> Outcome:
    nodes = facts.cluster_nodes() + facts.remote_nodes()
    digests = {n.host.name: n.authkey_digest() for n in nodes}
    missing = [name for name, d in digests.items() if d is None]
    if missing:
        return failed(f"/etc/pacemaker/authkey ausente ou ilegível em {_names(missing)}.")
    groups: dict[str, list[str]] = {}
    for name, digest in digests.items():
        groups.setdefault(digest or "", []).append(name)
    if len(groups) > 1:
        parts = [f"{_names(names)} (sha256 {d[:12]}…)" for d, names in groups.items()]
        return failed("A authkey difere entre os nós: " + "; ".join(parts) + ".")
    owners = {n.host.name: n.authkey_owner_mode() for n in facts.cluster_nodes()}
    wrong = [f"{name} ({om})" for name, om in owners.items()
             if om and not om.startswith("hacluster:haclient")]
    note = (" Atenção: nos nós do cluster o dono deve ser hacluster:haclient (modo 640): "
            + _names(wrong) + ".") if wrong else ""
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
            return passed(f"{primitive.id} roda em {_names(sorted(nodes))} pela restrição "
                          f"{placed[0].id} (score {format_score(placed[0].score)}).")
    if running_there:
        return failed(
            f"{_names(running_there)} roda no nó remoto, mas nenhuma restrição o coloca lá.",
            f"pcs constraint location {running_there[0]} prefers {sorted(names)[0]}",
        )
    return failed("Nenhum recurso em execução no nó remoto.")


# ------------------------------------------------------------------ exercise 3


@check("postgres_installed", {"postgres"})
def postgres_installed(facts: LabFacts, params: Params) -> Outcome:
    missing = [n.host.name for n in facts.cluster_nodes() if not n.postgres_binaries()]
    if missing:
        return failed(f"PostgreSQL não instalado em {_names(missing)}.")
    return passed("PostgreSQL instalado em todos os nós do cluster.")


DB_AGENTS_DEFAULT = ["systemd:postgresql", "systemd:postgresql@*", "ocf:heartbeat:pgsql",
                     "ocf:heartbeat:pgsqlms"]


def _pg_group(cib: Cib, params: Params) -> tuple[str, Primitive, Primitive] | None:
    for group in cib.groups.values():
        members = [cib.primitives[m] for m in group.members if m in cib.primitives]
        ip = next((p for p in members if _agent_matches(p, params["ip_agent"])), None)
        db = next((p for p in members if _agent_matches(p, params["db_agents"])), None)
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
    ips = [p.id for p in cib.primitives.values() if _agent_matches(p, params["ip_agent"])]
    dbs = [p.id for p in cib.primitives.values() if _agent_matches(p, params["db_agents"])]
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
        return failed(f"Parados no grupo {group.id}: {_names(stopped)}.",
                      "Veja o motivo com pcs status --full; corrija e rode "
                      f"pcs resource cleanup {group.id}.")
    nodes = sorted({n for ns in placement.values() for n in ns})
    if len(nodes) != 1:
        return failed(f"Os membros de {group.id} estão espalhados: {placement}.")
    return passed(f"{group.id} iniciado em {nodes[0]} ({_names(list(group.members))}).")


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
        if child is None or not _agent_matches(child, params["agents"]):
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
