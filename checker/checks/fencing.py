"""Fencing: a device the cluster can use, and proof that it used it when a node crashed.

On the Vagrant lab the device is fence_sbd (SBD on a disk node1 and node2 share, a watchdog
in each); on the namespace lab, fence_nslab. For fence_sbd the checks also read SBD as each
node sees it, because the typical mistakes are there and not in the CIB: a node without a
watchdog, SBD_DEVICE different on the two nodes, a msgwait longer than the cluster waits.
"""

from __future__ import annotations

import math

from checker.checks.base import Outcome, Params, check, failed, join_names, passed
from checker.facts import LabFacts, NodeFacts
from checker.fencing import FenceEvent, SbdView, sbd_devices
from checker.model import Primitive, parse_interval_ms

# Pacemaker's default stonith-timeout.
DEFAULT_STONITH_TIMEOUT_S = 60
# SBD's own advice: give the fencing at least msgwait plus 20 %.
MSGWAIT_MARGIN = 1.2
_FALSE = {"false", "0", "no", "off", "n"}


def _stonith_devices(facts: LabFacts) -> list[Primitive]:
    assert facts.cib is not None
    return [p for p in facts.cib.primitives.values() if p.standard == "stonith"]


@check("fencing_configured", {"cib", "status", "sbd"})
def fencing_configured(facts: LabFacts, params: Params) -> Outcome:
    assert facts.cib is not None and facts.status is not None
    devices = _stonith_devices(facts)
    if not devices:
        return failed("Nenhum dispositivo de fencing (recurso stonith) na CIB.")
    enabled = facts.cib.properties.get("stonith-enabled", "true").strip().lower() not in _FALSE
    running = {d.id: facts.status.active_nodes(d.id) for d in devices}
    started = [d for d in devices if running[d.id]]
    if not started:
        return failed(f"O dispositivo de fencing {join_names([d.id for d in devices])} não está "
                      "rodando.",
                      f"pcs stonith status mostra o erro; depois de corrigir, pcs resource "
                      f"cleanup {devices[0].id}.")
    if not enabled:
        return failed("stonith-enabled=false: o dispositivo existe, mas o cluster não o usa.",
                      "pcs property set stonith-enabled=true")
    sbd = [d for d in devices if d.type == "fence_sbd"]
    if sbd:
        problem = _sbd_problem(facts, sbd)
        if problem:
            return problem
    where = "; ".join(f"{d.id} ({d.type}) em {join_names(running[d.id])}" for d in started)
    extra = " SBD legível e com slot para cada nó, watchdog e sbd rodando em todos." if sbd else ""
    return passed(f"Fencing ativo (stonith-enabled=true): {where}.{extra}")


def _sbd_problem(facts: LabFacts, devices: list[Primitive]) -> Outcome | None:
    """The first thing wrong with SBD on the cluster nodes, in the order a student fixes it."""
    views: dict[str, SbdView] = {}
    for node in facts.cluster_nodes():
        view = node.sbd()
        if view is None:
            return failed(f"Não foi possível ler a configuração do SBD em {node.host.name}.")
        views[node.host.name] = view
    unconfigured = [n for n, v in views.items() if not v.configured]
    if unconfigured:
        return failed(f"SBD_DEVICE não está em /etc/default/sbd em {join_names(unconfigured)}.",
                      "Em cada nó, SBD_DEVICE=<o disco compartilhado> em /etc/default/sbd "
                      "(o mesmo caminho nos dois), e reinicie o cluster.")
    paths = {n: sbd_devices(v.settings) for n, v in views.items()}
    if len(set(paths.values())) > 1:
        seen = "; ".join(f"{n}: {';'.join(p)}" for n, p in paths.items())
        return failed(f"SBD_DEVICE difere entre os nós ({seen}).",
                      "Use o mesmo caminho estável nos dois nós (/dev/disk/by-id/...), "
                      "não /dev/vdb, que pode mudar de nome; depois reinicie o cluster.")
    for name, view in views.items():
        for device in view.devices:
            if device.header is None:
                why = f" ({device.error})" if device.error else ""
                return failed(f"{name} não lê o cabeçalho SBD de {device.path}{why}.",
                              f"Confira o disco em {name} (ls -l {device.path}); um disco novo "
                              f"precisa de sbd -d {device.path} create, uma vez, com o cluster "
                              "parado.")
            missing = sorted(set(views) - {s.node for s in device.slots or ()})
            if missing:
                return failed(f"O disco {device.path}, lido de {name}, não tem slot para "
                              f"{join_names(missing)}.",
                              "O sbd de cada nó cria o seu slot ao iniciar: confira se ele "
                              "está habilitado (systemctl enable sbd) e reinicie o cluster.")
    no_watchdog = [n for n, v in views.items() if not v.watchdogs]
    if no_watchdog:
        return failed(f"Nenhum watchdog no kernel de {join_names(no_watchdog)}: sem ele o SBD "
                      "não tem como derrubar o próprio nó.",
                      "Carregue um (modprobe softdog, e grave softdog em "
                      "/etc/modules-load.d/watchdog.conf) e reinicie o cluster.")
    stopped = [n for n, v in views.items() if not v.running]
    if stopped:
        return failed(f"O sbd não está rodando em {join_names(stopped)}.",
                      "systemctl enable sbd nos nós e reinicie o cluster (pcs cluster stop "
                      "--all; pcs cluster start --all): o sbd sobe junto com o corosync.")
    shared = next(iter(paths.values()))
    for device in devices:
        named = tuple(d.strip() for d in device.params.get("devices", "").split(",") if d.strip())
        if named and set(named) != set(shared):
            return failed(f"{device.id} usa devices={','.join(named)}, mas o SBD dos nós usa "
                          f"{';'.join(shared)}.",
                          f"pcs stonith update {device.id} devices={','.join(shared)}")
    msgwait = max(d.header.msgwait_s for v in views.values() for d in v.devices if d.header)
    assert facts.cib is not None
    timeout_ms = parse_interval_ms(facts.cib.properties.get("stonith-timeout"))
    timeout_s = DEFAULT_STONITH_TIMEOUT_S if timeout_ms is None else timeout_ms / 1000
    needed = math.ceil(msgwait * MSGWAIT_MARGIN)
    if timeout_s < needed:
        return failed(f"O msgwait do disco ({msgwait} s) não cabe no stonith-timeout "
                      f"({timeout_s:g} s): o cluster desiste do fencing antes de o SBD o "
                      "confirmar.",
                      f"pcs property set stonith-timeout={needed}s (msgwait + 20 %).")
    return None


def _cluster_events(facts: LabFacts) -> tuple[list[FenceEvent], list[str]]:
    """Fence events of the cluster's nodes, from the first node whose fencer answered."""
    readers: list[NodeFacts] = sorted(
        facts.cluster_nodes(), key=lambda n: n.host.name != facts.read_from)
    unread = []
    for node in readers:
        events = node.fence_history()
        if events is not None:
            targets = {h.name for h in facts.inventory.cluster_hosts}
            return [e for e in events if e.target in targets], unread
        unread.append(node.host.name)
    return [], unread


@check("crash_was_fenced", {"cib", "status", "fence_history"})
def crash_was_fenced(facts: LabFacts, params: Params) -> Outcome:
    events, unread = _cluster_events(facts)
    if unread and len(unread) == len(facts.cluster_nodes()):  # no fencer answered
        return failed(f"O histórico de fencing não pôde ser lido ({join_names(unread)}).",
                      "Confira se o Pacemaker está rodando: pcs cluster start --all.")
    by_cluster = [e for e in events if e.asked_by_cluster]
    done = [e for e in by_cluster if e.succeeded and e.action in {"reboot", "off"}]
    if done:
        event = done[0]
        return passed(f"O cluster cercou {event.target} sozinho ({event.action}, executado por "
                      f"{event.delegate}, concluído em {event.completed}).")
    failures = [e for e in by_cluster if not e.succeeded]
    if failures:
        event = failures[0]
        return failed(f"O cluster tentou cercar {event.target} ({event.action}) e não conseguiu "
                      f"({event.status}).",
                      "stonith_admin --history '*' e pcs stonith status mostram o motivo; "
                      "corrija o dispositivo e derrube o nó de novo.")
    by_hand = [e for e in events if not e.asked_by_cluster and e.succeeded]
    if by_hand:
        targets = join_names(sorted({e.target for e in by_hand}))
        return failed(f"Só há fencing pedido à mão ({targets}, por pcs stonith fence ou "
                      "stonith_admin): ainda falta o cluster cercar sozinho um nó que caiu.")
    return failed("Nenhum fencing de nó do cluster no histórico (stonith_admin --history).")
