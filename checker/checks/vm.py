"""Exercise 1: a libvirt VM managed by ocf:heartbeat:VirtualDomain."""

from __future__ import annotations

from checker.checks.base import (
    Outcome,
    Params,
    blocked,
    broken_param_hints,
    check,
    failed,
    is_true,
    join_names,
    passed,
    primitives_of,
    skipped,
)
from checker.facts import LabFacts
from checker.model import Primitive, parse_interval_ms


@check("ssh_between_nodes", {"ssh_peers"})
def ssh_between_nodes(facts: LabFacts, params: Params) -> Outcome:
    nodes = facts.cluster_nodes()
    if len(nodes) < 2:
        return skipped("Há um só nó do cluster no inventário: não há com quem testar o SSH.")
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
    return primitives_of(facts.cib, params["agent"])


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
                            f"(intervalos: {join_names(seen)})")
        if params["allow_migrate"] and not is_true(vm.meta.get("allow-migrate")):
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
            problems.append(f"{path} define domínios diferentes nos nós: {join_names(sorted(domains))}")
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
                    f"{join_names(outside)}: duas cópias no mesmo disco o corrompem.",
                    f"Em {outside[0]}: virsh destroy <domínio>; inicie a VM só pelo cluster.")
            return passed(f"{vm.id} em execução sob o cluster em {nodes[0]}.")
        elif not nodes:
            messages.append(f"{vm.id} está parado")
        else:
            messages.append(f"{vm.id} ativo em {len(nodes)} nós ao mesmo tempo: {join_names(nodes)}")
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
            # The records of older migrations can survive beside the latest one: report
            # the latest arrival and the latest departure from another node.
            latest = sorted(migrations, key=lambda op: op.last_change, reverse=True)
            dst = next((op.node for op in latest if op.operation == "migrate_from"), None)
            src = next((op.node for op in latest
                        if op.operation == "migrate_to" and op.node != dst), None)
            # right after a crash one side of the pair may already be gone
            route = (f"{src} → {dst}" if src and dst
                     else f"para {dst}" if dst else f"a partir de {src}")
            return passed(f"{vm.id} foi migrado ao vivo ({route}).")
        ran_on = sorted({op.node for op in ops if op.operation in {"start", "stop"}})
        if len(ran_on) >= 2:
            return passed(f"{vm.id} já rodou em mais de um nó ({join_names(ran_on)}): foi movido.")
    return failed("O histórico de operações da CIB não mostra a VM mudando de nó.")


@check("no_leftover_move_constraints", {"cib"})
def no_leftover_move_constraints(facts: LabFacts, params: Params) -> Outcome:
    assert facts.cib is not None
    leftovers = [c for c in facts.cib.locations if c.id.startswith(("cli-prefer-", "cli-ban-"))]
    if leftovers:
        resources = sorted({c.resource or "?" for c in leftovers})
        return failed(
            "Restrições deixadas por move/ban: " + join_names([c.id for c in leftovers]) + ".",
            "Remova-as com " + " e ".join(f"pcs resource clear {r}" for r in resources)
            + " — senão o recurso fica preso a um nó.",
        )
    return passed("Nenhuma restrição cli-prefer/cli-ban esquecida.")
