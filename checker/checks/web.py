"""Exercise 5: a highly available web entry point.

A web server cloned on every cluster node with a monitor that requests a page, and HAProxy
with a virtual IP in one group in front of them. Judged from the cluster model, the page
on the virtual IP and HAProxy's statistics (read on the nodes), and the operation history.
"""

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
from checker.model import Cib, Group, Primitive

WEB_AGENTS = ["ocf:heartbeat:apache", "ocf:heartbeat:nginx", "systemd:apache2", "systemd:httpd",
              "systemd:nginx", "lsb:apache2", "service:apache2"]
# Where the monitor asks for a page: the agent's own parameter.
STATUS_URL_PARAM = {"apache": "statusurl", "nginx": "status10url"}
IP_AGENT = "ocf:heartbeat:IPaddr2"


def is_haproxy(primitive: Primitive) -> bool:
    """systemd:haproxy (the Vagrant lab), or haproxy run by ocf:heartbeat:anything
    (the namespace lab, no systemd)."""
    if primitive.type == "haproxy":
        return True
    return (agent_matches(primitive, "ocf:heartbeat:anything")
            and primitive.params.get("binfile", "").rsplit("/", 1)[-1] == "haproxy")


def web_servers(cib: Cib) -> list[Primitive]:
    return sorted((p for p in cib.primitives.values() if agent_matches(p, WEB_AGENTS)),
                  key=lambda p: p.id)


def lb_group(cib: Cib) -> tuple[Group, Primitive, Primitive] | None:
    """The group holding an IPaddr2 and HAProxy: (group, ip, haproxy)."""
    for group in sorted(cib.groups.values(), key=lambda g: g.id):
        members = [cib.primitives[m] for m in group.members if m in cib.primitives]
        ip = next((p for p in members if agent_matches(p, IP_AGENT)), None)
        proxy = next((p for p in members if is_haproxy(p)), None)
        if ip and proxy:
            return group, ip, proxy
    return None


def _haproxy_resources(cib: Cib) -> list[Primitive]:
    return sorted((p for p in cib.primitives.values() if is_haproxy(p)), key=lambda p: p.id)


@check("web_cloned", {"cib", "status"})
def web_cloned(facts: LabFacts, params: Params) -> Outcome:
    cib, status = facts.cib, facts.status
    assert cib is not None and status is not None
    servers = web_servers(cib)
    if not servers:
        return failed("Nenhum recurso de servidor web (ocf:heartbeat:apache) no cluster.")
    cluster = [h.name for h in facts.inventory.cluster_hosts]
    problems: list[tuple[str, str]] = []
    for web in servers:
        if web.standard != "ocf":
            problems.append((f"{web.id} é {web.agent}: o monitor só vê se o processo existe, "
                             "não se o site responde.",
                             "Use ocf:heartbeat:apache com statusurl= (uma página do próprio "
                             "nó) e op monitor interval=20s."))
            continue
        url_param = STATUS_URL_PARAM.get(web.type, "statusurl")
        if not web.params.get(url_param):
            problems.append((f"{web.id} não tem {url_param}=: o monitor não pede uma página "
                             "que você escolheu.",
                             f"pcs resource update {web.id} "
                             f"{url_param}=http://127.0.0.1:8000/server-status"))
            continue
        if not web.recurring_monitors():
            problems.append((f"{web.id} não tem operação monitor com intervalo.",
                             f"pcs resource op add {web.id} monitor interval=20s"))
            continue
        if web.parent not in cib.clones:
            problems.append((f"{web.id} não é um clone: o site teria um só servidor atrás do "
                             "HAProxy.", f"pcs resource clone {web.id}"))
            continue
        running = status.active_nodes(web.id)
        missing = [n for n in cluster if n not in running]
        if missing:
            problems.append((f"{web.parent} roda em {join_names(running)}; falta em "
                             f"{join_names(missing)}.",
                             "Veja pcs status --full em cada nó (porta 8000 em uso? "
                             "configuração diferente?) e rode pcs resource cleanup "
                             f"{web.id}. Confira clone-max, se o definiu."))
            continue
        return passed(f"{web.parent} ({web.agent}) rodando em {join_names(running)}, monitor "
                      f"com {url_param}={web.params[url_param]}.")
    message, hint = problems[0]
    return failed(message, hint)


@check("lb_grouped", {"cib", "status"})
def lb_grouped(facts: LabFacts, params: Params) -> Outcome:
    cib, status = facts.cib, facts.status
    assert cib is not None and status is not None
    found = lb_group(cib)
    if found is None:
        proxies = _haproxy_resources(cib)
        if not proxies:
            return failed("Nenhum recurso do HAProxy no cluster.",
                          "Vagrant: pcs resource create haproxy systemd:haproxy op monitor "
                          "interval=10s --group lb (depois do IP). Laboratório em namespaces: "
                          "ocf:heartbeat:anything binfile=/usr/sbin/haproxy (veja o exercício).")
        proxy = proxies[0]
        where = f"no clone {proxy.parent}" if proxy.parent in cib.clones else (
            f"no grupo {proxy.parent}, sem IP virtual" if proxy.parent else "fora de grupo")
        return failed(f"{proxy.id} está {where}: o exercício pede IP e HAProxy num grupo.",
                      f"pcs resource group add lb <IP virtual> {proxy.id}")
    group, ip, proxy = found
    members = list(group.members)
    if members.index(proxy.id) < members.index(ip.id):
        return failed(f"No grupo {group.id}, {proxy.id} vem antes de {ip.id}: o HAProxy inicia "
                      "antes de o IP existir e o bind no IP virtual falha.",
                      f"pcs resource group add {group.id} {ip.id} --before {proxy.id}")
    placement = {m: status.active_nodes(m) for m in (ip.id, proxy.id)}
    stopped = [m for m, nodes in placement.items() if not nodes]
    if stopped:
        return failed(f"Parados no grupo {group.id}: {join_names(stopped)}.",
                      "Veja pcs status --full; com o HAProxy, teste a configuração com "
                      "haproxy -c -f /etc/haproxy/haproxy.cfg em cada nó, e rode "
                      f"pcs resource cleanup {group.id}.")
    nodes = sorted({n for ns in placement.values() for n in ns})
    if len(nodes) != 1:
        return failed(f"Os membros de {group.id} estão espalhados: {placement}.")
    cluster = [h.name for h in facts.inventory.cluster_hosts]
    if nodes[0] not in cluster:
        return failed(f"{group.id} roda em {nodes[0]}, que não é nó do cluster (é um nó remoto, "
                      f"como o node3 do exercício 2?): o HAProxy está em {join_names(cluster)}.",
                      f"pcs constraint location {group.id} rule resource-discovery=never "
                      "score=-INFINITY '#kind' ne cluster (e o mesmo para o clone do Apache); "
                      "lição 7.2, \"nós remotos recebem qualquer recurso\".")
    return passed(f"{group.id}: {ip.id} (ip={ip.params.get('ip', '?')}) e depois {proxy.id}, "
                  f"juntos em {nodes[0]}.")


@check("lb_only_in_cluster", {"cib", "status", "web_daemons"})
def lb_only_in_cluster(facts: LabFacts, params: Params) -> Outcome:
    cib, status = facts.cib, facts.status
    assert cib is not None and status is not None
    cluster_runs = {n for p in _haproxy_resources(cib) for n in status.active_nodes(p.id)}
    problems: list[str] = []
    enabled: list[str] = []
    for node in facts.cluster_nodes():
        daemons = node.web_daemons()
        if daemons is None:
            continue
        name = node.host.name
        for unit, (is_enabled, _) in sorted(daemons.units.items()):
            if is_enabled == "enabled":
                enabled.append(f"{unit} em {name}")
        if name in cluster_runs:
            continue
        if daemons.units.get("haproxy", ("", ""))[1] == "active":
            problems.append(f"o HAProxy roda em {name} pelo systemd, fora do cluster")
        elif "haproxy" in daemons.running:
            problems.append(f"um HAProxy roda em {name}, fora do cluster")
    if problems:
        message = join_names(problems)
        return failed(message[0].upper() + message[1:] + ".",
                      "Quem inicia o HAProxy é o cluster: systemctl disable --now haproxy nos "
                      "dois nós (no laboratório em namespaces, pare o processo que você iniciou).")
    if enabled:
        return failed(f"Unidades habilitadas no boot: {join_names(enabled)}: o systemd as "
                      "iniciaria fora do cluster.",
                      "systemctl disable --now haproxy apache2 nos dois nós.")
    return passed("HAProxy e Apache só rodam onde o cluster os pôs (nada habilitado no "
                  "systemd nem iniciado à mão).")


@check("site_on_vip", {"cib", "web_vip", "haproxy_stats"})
def site_on_vip(facts: LabFacts, params: Params) -> Outcome:
    cib = facts.cib
    assert cib is not None
    found = lb_group(cib)
    if found is None or not found[1].params.get("ip"):
        return blocked("Ainda não há o grupo com IP virtual e HAProxy para testar.",
                       "Crie primeiro o grupo (passo do IP e HAProxy no mesmo grupo).")
    vip = found[1].params["ip"]
    codes = {n.host.name: n.web_answers().get(vip) for n in facts.cluster_nodes()}
    answered = {n: c for n, c in codes.items() if c and c[0] in "23"}
    if not answered:
        shown = "; ".join(f"{n}: {c or 'sem teste'}" for n, c in codes.items())
        return failed(f"O site não responde em http://{vip}/ (códigos HTTP: {shown}).",
                      f"O HAProxy deve escutar em {vip}:80 (bind) e mandar para os Apaches na "
                      "porta 8000. Teste com curl -v http://<IP virtual>/ num nó.")
    stats = [s for n in facts.cluster_nodes() if (s := n.haproxy_servers()) is not None]
    if not stats:
        return failed(f"O site responde em {vip}, mas as estatísticas do HAProxy não "
                      "(http://127.0.0.1:8404/stats no nó do HAProxy).",
                      "Acrescente ao haproxy.cfg a seção listen estatisticas com "
                      "bind 127.0.0.1:8404, stats enable e stats uri /stats.")
    servers = stats[0]
    up = [s.server for s in servers if s.status.startswith("UP")]
    down = [f"{s.server} ({s.status})" for s in servers if not s.status.startswith("UP")]
    wanted = len(facts.inventory.cluster_hosts)
    if down or len(up) < wanted:
        return failed(f"O site responde em {vip}, mas o HAProxy vê {len(up)} back end(s) UP "
                      f"({join_names(up)}); fora: {join_names(down)}.",
                      "Cada nó do cluster precisa ser um server no backend, com check, e o "
                      "Apache dele precisa responder na porta 8000.")
    return passed(f"http://{vip}/ responde (HTTP {next(iter(answered.values()))}) pelo "
                  f"HAProxy, com {len(up)} back ends UP: {join_names(up)}.")


@check("lb_moved_clean", {"cib", "status"})
def lb_moved_clean(facts: LabFacts, params: Params) -> Outcome:
    cib, status = facts.cib, facts.status
    assert cib is not None and status is not None
    found = lb_group(cib)
    if found is None:
        return blocked("Ainda não há o grupo com IP virtual e HAProxy.",
                       "Crie primeiro o grupo (passo do IP e HAProxy no mesmo grupo).")
    group, _, proxy = found
    leftovers = sorted(c.id for c in cib.locations if c.id.startswith("cli-"))
    if leftovers:
        resources = sorted({c.resource or "?" for c in cib.locations if c.id in leftovers})
        return failed(f"Restrições esquecidas de pcs resource move/ban: {join_names(leftovers)}.",
                      f"pcs resource clear {resources[0]} — senão o grupo fica preso a um nó.")
    now = status.active_nodes(proxy.id)
    left = sorted({op.node for op in cib.history_of(proxy.id)
                   if op.operation == "stop" and op.succeeded and op.node not in now})
    if not now:
        return failed(f"{proxy.id} não está rodando.", f"pcs resource cleanup {group.id}")
    if not left:
        return failed(f"{group.id} ainda não mudou de nó: o histórico não tem {proxy.id} parado "
                      f"em outro nó (roda em {join_names(now)}).",
                      f"pcs node standby {now[0]}, confira o site no IP virtual, e "
                      f"pcs node unstandby {now[0]} (ou pcs resource move {group.id} e depois "
                      f"pcs resource clear {group.id}).")
    return passed(f"{group.id} saiu de {join_names(left)} e roda em {join_names(now)}; nenhuma "
                  "restrição cli- sobrou.")
