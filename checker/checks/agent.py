"""Exercise 4: the student's own OCF agent, installed, described, used and proven.

The agent is judged by what the nodes hold (the ocf_agents probe: file, digest, meta-data)
and what the cluster recorded (the CIB's operation history and fail counts): the monitor
that found the application dead and the start that followed.
"""

from __future__ import annotations

import time

from checker.agentmeta import AgentMetadata, parse_metadata
from checker.checks.base import (
    Outcome,
    Params,
    blocked,
    check,
    failed,
    join_names,
    passed,
)
from checker.errors import ModelError
from checker.facts import CustomAgent, LabFacts
from checker.model import Cib, HistoryOp, Primitive, parse_interval_ms
from checker.probes import PACKAGED_PROVIDERS

# OCF exit codes a student meets (OCF 1.1, "Return codes").
OCF_CODES = {0: "sucesso", 1: "erro genérico", 2: "parâmetro inválido",
             3: "ação não implementada", 5: "não instalado", 6: "configuração inválida",
             7: "não está rodando", 8: "rodando como promovido"}

_INSTALL_COMMAND = ("install -D -m 0755 /srv/lab/agents/labapp "
                    "/usr/lib/ocf/resource.d/labcheck/labapp")
_INSTALL_HINT = f"Em cada nó do cluster: {_INSTALL_COMMAND}"


def _code(rc: int) -> str:
    return f"{rc} ({OCF_CODES[rc]})" if rc in OCF_CODES else str(rc)


def _clock(epoch: int) -> str:
    return time.strftime("%H:%M:%S UTC", time.gmtime(epoch)) if epoch > 0 else "?"


def is_custom(primitive: Primitive) -> bool:
    return primitive.standard == "ocf" and (primitive.provider or "") not in PACKAGED_PROVIDERS


def custom_resources(cib: Cib) -> list[Primitive]:
    return sorted((p for p in cib.primitives.values() if is_custom(p)), key=lambda p: p.id)


def _agents_by_node(facts: LabFacts) -> dict[str, dict[str, CustomAgent]]:
    return {n.host.name: {a.agent: a for a in n.custom_agents()} for n in facts.cluster_nodes()}


def _candidates(facts: LabFacts, found: dict[str, dict[str, CustomAgent]]) -> list[str]:
    """The agents the resources use; before there is one, every agent found on a node."""
    if facts.cib is not None:
        used = sorted({p.agent for p in custom_resources(facts.cib)})
        if used:
            return used
    return sorted({agent for agents in found.values() for agent in agents})


def _install_problem(agent: str, found: dict[str, dict[str, CustomAgent]]
                     ) -> tuple[str, str] | None:
    """(message, hint) of what is wrong with the agent's copies on the nodes, or None."""
    path = "/usr/lib/ocf/resource.d/" + "/".join(agent.split(":")[1:])
    missing = [node for node, agents in found.items() if agent not in agents]
    if missing:
        has = [node for node, agents in found.items() if agent in agents]
        where = f"só está em {join_names(has)}" if has else "não está em nenhum nó"
        return (f"{path} ({agent}) {where}; falta em {join_names(missing)}.",
                _INSTALL_HINT + " (o Pacemaker procura o agente no nó onde vai rodar o recurso).")
    not_exec = [node for node, agents in found.items() if not agents[agent].executable]
    if not_exec:
        return (f"{path} não é executável em {join_names(not_exec)}.",
                "chmod 0755 no arquivo do agente, em cada nó.")
    digests = {node: agents[agent].sha256 for node, agents in found.items()}
    if len(set(digests.values())) > 1:
        shown = "; ".join(f"{node}: {digest[:12]}…" for node, digest in digests.items())
        return (f"{path} difere entre os nós (SHA-256 {shown}).",
                "Copie o mesmo arquivo para todos os nós (scp ou install a partir de uma só "
                "cópia): versões diferentes do agente fazem o recurso agir diferente em cada nó.")
    return None


@check("custom_agent_installed", {"cib", "ocf_agents"})
def custom_agent_installed(facts: LabFacts, params: Params) -> Outcome:
    found = _agents_by_node(facts)
    candidates = _candidates(facts, found)
    if not candidates:
        return failed("Nenhum agente OCF próprio em /usr/lib/ocf/resource.d/<fornecedor>/ nos "
                      f"nós do cluster ({join_names(list(found))}).", _INSTALL_HINT)
    problems = {agent: _install_problem(agent, found) for agent in candidates}
    good = [agent for agent, problem in problems.items() if problem is None]
    used = facts.cib is not None and bool(custom_resources(facts.cib))
    bad = [problem for problem in problems.values() if problem]
    if good and (not used or not bad):
        sample = next(iter(found.values()))[good[0]]
        return passed(f"{join_names(good)} em {join_names(list(found))}: executável e o mesmo "
                      f"arquivo em todos (SHA-256 {sample.sha256[:12]}…).")
    message, hint = bad[0]
    return failed(message, hint)


def _metadata_problem(agent: CustomAgent) -> AgentMetadata | tuple[str, str]:
    """The agent's parsed meta-data, or (message, hint) of what is wrong with it."""
    first_line = (agent.metadata.splitlines() or [""])[0][:160]
    if agent.metadata_rc is None:
        return (f"O meta-data de {agent.agent} não terminou ou passou do tamanho esperado.",
                "A ação meta-data só imprime o XML e sai com 0, sem depender de parâmetros.")
    if agent.metadata_rc != 0:
        return (f"O meta-data de {agent.agent} falhou (código {agent.metadata_rc}): "
                f"{first_line or 'sem saída'}",
                "Rode o agente à mão: OCF_ROOT=/usr/lib/ocf <caminho do agente> meta-data; "
                "echo $? — deve imprimir o XML e sair com 0.")
    try:
        meta = parse_metadata(agent.metadata, f"meta-data de {agent.agent}")
    except ModelError as exc:
        return (str(exc), "Valide o XML com ocf-tester (usa xmllint) e corrija o meta-data.")
    missing = meta.missing_actions()
    if "validate-all" in missing:
        return (f"O meta-data de {agent.agent} não declara a ação validate-all.",
                "Implemente validate-all (confere parâmetros e dependências sem tocar no "
                "serviço) e declare <action name=\"validate-all\" timeout=\"20s\"/>: o pcs e "
                "o Pacemaker a chamam.")
    if missing:
        return (f"O meta-data de {agent.agent} não declara as ações {join_names(missing)}.",
                "Declare em <actions> start, stop, monitor (com interval), meta-data e "
                "validate-all, cada uma com timeout.")
    untimed = meta.actions_without_timeout()
    if untimed:
        return (f"Ações sem timeout no meta-data de {agent.agent}: {join_names(untimed)}.",
                "Cada <action> precisa de timeout=\"20s\" (ou o valor que o agente precisa): "
                "o pcs cria as operações com esses valores.")
    return meta


@check("custom_agent_metadata", {"cib", "ocf_agents"})
def custom_agent_metadata(facts: LabFacts, params: Params) -> Outcome:
    found = _agents_by_node(facts)
    candidates = _candidates(facts, found)
    copies = [(agent, next((a[agent] for a in found.values()
                            if agent in a and a[agent].executable), None))
              for agent in candidates]
    copies = [(agent, copy) for agent, copy in copies if copy is not None]
    if not copies:
        return blocked("Ainda não há um agente próprio executável para ler o meta-data.",
                       "Instale o agente primeiro (passo anterior).")
    judged = [(agent, _metadata_problem(copy)) for agent, copy in copies]
    problems = [result for _, result in judged if isinstance(result, tuple)]
    if problems:
        message, hint = problems[0]
        return failed(message, hint)
    meta = judged[0][1]
    assert isinstance(meta, AgentMetadata)
    version = f"OCF {meta.ocf_version}" if meta.ocf_version else "sem <version>"
    return passed(f"meta-data de {join_names([agent for agent, _ in judged])} é XML válido "
                  f"({version}) com {join_names(sorted(meta.actions))}.")


def _monitor_problem(primitive: Primitive) -> str | None:
    monitors = primitive.recurring_monitors()
    if not monitors:
        return f"{primitive.id} não tem operação monitor com intervalo."
    if all(parse_interval_ms(op.timeout) is None for op in monitors):
        return f"O monitor de {primitive.id} não tem timeout."
    return None


def _last_error(cib: Cib, resource: str) -> str:
    """' Último erro: start em node1 devolveu 1 (erro genérico): <exit reason>.' or ''."""
    errors = [op for op in cib.history_of(resource)
              if op.op_status != 1 and op.rc not in {0, 7, 8} | ({7} if op.is_probe else set())]
    if not errors:
        return ""
    op = max(errors, key=lambda o: (o.last_change, o.call_id))
    action = "sondagem" if op.is_probe else op.operation
    reason = f": {op.exit_reason[:160]}" if op.exit_reason else ""
    return f" Último erro: {action} em {op.node} devolveu {_code(op.rc)}{reason}."


@check("custom_agent_resource", {"cib", "status"})
def custom_agent_resource(facts: LabFacts, params: Params) -> Outcome:
    cib, status = facts.cib, facts.status
    assert cib is not None and status is not None
    resources = custom_resources(cib)
    if not resources:
        return failed("Nenhum recurso usa um agente próprio (ocf:<fornecedor>:<agente>).",
                      "pcs resource create app ocf:labcheck:labapp port=8080 "
                      "op monitor interval=10s timeout=20s")
    problems = []
    for primitive in resources:
        if primitive.parent in cib.clones:
            problems.append((f"{primitive.id} está num clone: o exercício pede uma só instância.",
                             f"pcs resource unclone {primitive.id}"))
            continue
        monitor = _monitor_problem(primitive)
        if monitor:
            problems.append((monitor, f"pcs resource op add {primitive.id} monitor interval=10s "
                             "timeout=20s"))
            continue
        nodes = status.active_nodes(primitive.id)
        failed_here = [i for i in status.instances(primitive.id) if i.failed]
        if len(nodes) == 1 and not failed_here:
            interval = primitive.recurring_monitors()[0]
            return passed(f"{primitive.id} ({primitive.agent}) rodando em {nodes[0]}, monitor a "
                          f"cada {interval.raw_interval} (timeout {interval.timeout}).")
        if not nodes:
            problems.append((f"{primitive.id} ({primitive.agent}) está parado."
                             + _last_error(cib, primitive.id),
                             "Veja o motivo em pcs status --full (Failed Resource Actions); "
                             f"corrija e rode pcs resource cleanup {primitive.id}."))
        else:
            problems.append((f"{primitive.id} está ativo em {join_names(nodes)}"
                             + (" e com falha" if failed_here else "") + ".",
                             f"pcs resource cleanup {primitive.id}"))
    message, hint = problems[0]
    return failed(message, hint)


# Steps 5 to 7 judge the resource's history: without a resource there is nothing to judge.
_NO_RESOURCE_YET = blocked("Ainda não há recurso com agente próprio.",
                           "Crie o recurso primeiro (passo do recurso com monitor).")


def _remote_node_names(cib: Cib) -> set[str]:
    """Remote nodes (named by their connection resource) and guest nodes (remote-node meta)."""
    return ({p.id for p in cib.primitives_of("ocf:pacemaker:remote")}
            | {p.meta["remote-node"] for p in cib.primitives.values() if "remote-node" in p.meta})


def _probe_errors(cib: Cib, resource: str) -> list[HistoryOp]:
    return [op for op in cib.history_of(resource)
            # -1 pending, 1 cancelled; 7 (not installed) comes with rc 5
            if op.is_probe and op.op_status not in {-1, 1} and op.rc not in {0, 7, 8}]


@check("agent_probe_not_running", {"cib"})
def agent_probe_not_running(facts: LabFacts, params: Params) -> Outcome:
    cib = facts.cib
    assert cib is not None
    resources = custom_resources(cib)
    if not resources:
        return _NO_RESOURCE_YET
    remote_nodes = _remote_node_names(cib)
    for primitive in resources:
        errors = _probe_errors(cib, primitive.id)
        missing = sorted({op.node for op in errors if op.rc == 5})
        remote = sorted(set(missing) & remote_nodes)
        if remote:
            return failed(
                f"A sondagem de {primitive.id} devolveu 5 (não instalado) em {join_names(remote)}"
                ", nó remoto: o pacemaker-remoted roda os agentes no próprio nó, e o cluster "
                "sonda todos os nós onde o recurso poderia rodar.",
                f"Instale o agente também em {join_names(remote)} ({_INSTALL_COMMAND}) e "
                f"rode pcs resource cleanup {primitive.id}.")
        if missing:
            return failed(f"A sondagem de {primitive.id} devolveu 5 (não instalado) em "
                          f"{join_names(missing)}: o agente não estava lá.",
                          "Instale o agente em todos os nós do cluster e rode pcs resource "
                          f"cleanup {primitive.id}.")
        if errors:
            op = errors[0]
            return failed(
                f"A sondagem de {primitive.id} em {op.node} (monitor de intervalo 0, com a "
                f"aplicação parada ali) devolveu {_code(op.rc)}, não 7 (não está rodando).",
                "No monitor, aplicação parada é return $OCF_NOT_RUNNING (7), não "
                "$OCF_ERR_GENERIC (1): com 1 o cluster vê um erro e não um recurso parado. "
                "Corrija o agente em todos os nós e rode pcs resource cleanup "
                f"{primitive.id}.")
    probes = [op for p in resources for op in cib.history_of(p.id)
              if op.is_probe and op.rc == 7]
    where = join_names(sorted({op.node for op in probes}))
    detail = f" (7 em {where})" if probes else ""
    return passed("As sondagens respondem 7 (não está rodando) onde a aplicação não roda"
                  f"{detail}.")


def _failures(cib: Cib, resource: str) -> list[HistoryOp]:
    return [op for op in cib.history_of(resource)
            if op.operation == "monitor" and op.interval_ms > 0 and op.op_status != 1
            and (op.rc != 0 or op.op_status not in {0, -1})]  # 1: cancelled, not failed


@check("agent_recovered", {"cib", "status"})
def agent_recovered(facts: LabFacts, params: Params) -> Outcome:
    cib, status = facts.cib, facts.status
    assert cib is not None and status is not None
    resources = custom_resources(cib)
    if not resources:
        return _NO_RESOURCE_YET
    for primitive in resources:
        failures = sorted(_failures(cib, primitive.id), key=lambda op: op.last_change)
        if not failures:
            continue
        failure = failures[-1]
        starts = [op for op in cib.history_of(primitive.id)
                  if op.operation == "start" and op.succeeded
                  and op.last_change >= failure.last_change
                  and (op.node != failure.node or op.call_id > failure.call_id)]
        nodes = status.active_nodes(primitive.id)
        if not starts or not nodes:
            return failed(f"O monitor de {primitive.id} falhou em {failure.node} "
                          f"({_code(failure.rc)}, às {_clock(failure.last_change)}), mas o "
                          "recurso não voltou a rodar.",
                          "Veja pcs status --full: o start falhou ou migration-threshold "
                          f"baniu os nós. Corrija e rode pcs resource cleanup {primitive.id}.")
        start = max(starts, key=lambda op: op.last_change)
        count = cib.fail_count(primitive.id)
        return passed(f"O monitor em {failure.node} achou {primitive.id} com {_code(failure.rc)} "
                      f"às {_clock(failure.last_change)}; o cluster o reiniciou em {start.node} "
                      f"às {_clock(start.last_change)} (falhas registradas: {count}).")
    names = join_names([p.id for p in resources])
    return failed(f"Nenhuma falha de monitor no histórico de {names}.",
                  "Derrube a aplicação (ex.: pkill -f 'http.server 8080' no nó onde ela roda), "
                  "espere o próximo monitor e veja pcs status. Não rode pcs resource cleanup "
                  "antes do labcheck: ele apaga o histórico.")


@check("agent_failure_policy", {"cib"})
def agent_failure_policy(facts: LabFacts, params: Params) -> Outcome:
    cib = facts.cib
    assert cib is not None
    resources = custom_resources(cib)
    if not resources:
        return _NO_RESOURCE_YET
    for primitive in resources:
        meta = cib.meta_of(primitive)
        threshold = meta.get("migration-threshold", "").strip()
        if not threshold.isdigit() or not 1 <= int(threshold) <= 100:
            continue
        timeout = meta.get("failure-timeout")
        after = f"; failure-timeout={timeout} esquece as falhas depois disso" if timeout else ""
        return passed(f"{primitive.id}: migration-threshold={threshold} — na falha número "
                      f"{threshold} num nó, o recurso sai dele{after}.")
    return failed("migration-threshold não definido (o padrão, INFINITY, reinicia no mesmo nó "
                  "para sempre).")
