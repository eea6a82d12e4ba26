"""Exercises 4 and 5 judged on what real Pacemaker 2.1.5 and HAProxy 2.6 printed
(fixtures/pacemaker-2.1.5: cib-exercise4/5.xml, metadata-labapp.xml, haproxy-stats.csv).

The probes' own framing (agent lines, '|'-prefixed meta-data, '@rc') is built here around the
recorded meta-data, as the ocf_agents probe prints it."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.agentmeta import REQUIRED_ACTIONS, parse_metadata
from checker.checks import CHECKS, Status
from checker.errors import ModelError
from checker.facts import (
    LabFacts,
    NodeFacts,
    parse_custom_agents,
    parse_haproxy_csv,
    parse_web_answers,
    parse_web_daemons,
)
from checker.inventory import Host, Inventory
from checker.model import parse_cib
from checker.probes import ProbeOutput

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pacemaker-2.1.5"
LAB = Inventory("unit", (Host("node1", "10.77.5.11", "cluster"),
                         Host("node2", "10.77.5.12", "cluster")))
SHA = "ab" * 32


def read(name: str) -> str:
    return (FIXTURES / name).read_text()


def agent_output(metadata: str, *, executable: bool = True, sha: str = SHA, rc: int = 0) -> str:
    lines = [f"agent\tlabcheck\tlabapp\t{'x' if executable else '-'}\t{sha}"]
    if executable:
        lines += ["|" + line for line in metadata.splitlines()] + [f"|@rc {rc}"]
    return "\n".join(lines) + "\n"


def facts(cib: str, **probes_by_node: dict[str, str]) -> LabFacts:
    nodes = {h.name: NodeFacts(h, probes={name: ProbeOutput(0, text) for name, text in
                                          probes_by_node.get(h.name, {}).items()})
             for h in LAB.hosts}
    return LabFacts(inventory=LAB, nodes=nodes, cib=parse_cib(read(cib)))


def judge(check: str, lab: LabFacts):
    return CHECKS[check].function(lab, dict(CHECKS[check].defaults))


def test_labapp_metadata_is_ocf_11_with_every_action_pacemaker_needs():
    meta = parse_metadata(read("metadata-labapp.xml"))
    assert meta.name == "labapp" and meta.ocf_version == "1.1"
    assert set(REQUIRED_ACTIONS) <= set(meta.actions)
    assert meta.actions["monitor"].interval == "10s"
    assert not meta.missing_actions() and not meta.actions_without_timeout()
    assert "port" in meta.parameters


def test_metadata_without_validate_all_or_with_entities():
    text = read("metadata-labapp.xml")
    without = "\n".join(line for line in text.splitlines() if '"validate-all"' not in line)
    assert parse_metadata(without).missing_actions() == ["validate-all"]
    with pytest.raises(ModelError, match="DTD ou entidades"):
        parse_metadata(text.replace("<!ELEMENT version", '<!ENTITY x "y">\n<!ELEMENT version'))
    with pytest.raises(ModelError, match="inválido ou truncado"):
        parse_metadata(text[: len(text) // 2])


def test_custom_agent_output_is_split_per_agent():
    out = agent_output(read("metadata-labapp.xml")) + "badname\n" + \
        "agent\tlabcheck\tquebrado\tx\t" + "cd" * 32 + "\n|erro\n|@rc 105\n"
    agents = parse_custom_agents(out)
    assert [a.agent for a in agents] == ["ocf:labcheck:labapp", "ocf:labcheck:quebrado"]
    assert agents[0].metadata_rc == 0 and agents[0].metadata.startswith("<?xml")
    assert agents[1].metadata_rc == 105 and agents[1].metadata == "erro"
    # a name with a space or a bad digest is not taken as an agent of that name
    assert parse_custom_agents("agent\tlab check\tx\tx\t" + SHA + "\n") == []


def test_exercise4_solved_cib_shows_the_fault_and_the_restart():
    cib = parse_cib(read("cib-exercise4.xml"))
    assert cib.fail_count("app") == 1
    assert cib.meta_of(cib.primitives["app"])["migration-threshold"] == "2"
    failed = [op for op in cib.history_of("app") if op.operation == "monitor" and op.rc == 7
              and op.interval_ms == 10_000]
    assert failed
    meta = read("metadata-labapp.xml")
    lab = facts("cib-exercise4.xml", node1={"ocf_agents": agent_output(meta)},
                node2={"ocf_agents": agent_output(meta)})
    assert judge("custom_agent_installed", lab).status is Status.PASS
    assert judge("custom_agent_metadata", lab).status is Status.PASS
    # the restart after the failure (agent_recovered also needs crm_mon: tests/cluster)
    assert any(op.operation == "start" and op.succeeded and op.last_change >= failed[0].last_change
               for op in cib.history_of("app"))
    assert judge("agent_failure_policy", lab).status is Status.PASS


def test_exercise4_agent_mistakes_on_the_nodes():
    meta = read("metadata-labapp.xml")
    one_node = facts("cib-exercise4.xml", node1={"ocf_agents": agent_output(meta)},
                     node2={"ocf_agents": ""})
    assert "só está em node1; falta em node2" in judge("custom_agent_installed", one_node).message
    differ = facts("cib-exercise4.xml", node1={"ocf_agents": agent_output(meta)},
                   node2={"ocf_agents": agent_output(meta, sha="ef" * 32)})
    assert "difere entre os nós" in judge("custom_agent_installed", differ).message
    broken = facts("cib-exercise4.xml", node1={"ocf_agents": agent_output("<resource-agent", rc=0)},
                   node2={"ocf_agents": agent_output("<resource-agent", rc=0)})
    outcome = judge("custom_agent_metadata", broken)
    assert outcome.status is Status.FAIL and "ocf-tester" in (outcome.hint or "")


def test_haproxy_statistics_and_the_site_on_the_vip():
    servers = parse_haproxy_csv(read("haproxy-stats.csv"))
    assert [(s.backend, s.server, s.status) for s in servers] == [
        ("apaches", "node1", "UP"), ("apaches", "node2", "UP")]
    assert parse_haproxy_csv("<html>503</html>") is None
    assert parse_web_answers("10.77.5.120\t200\n10.77.5.121\tcurl: (7)\n") == {
        "10.77.5.120": "200", "10.77.5.121": "000"}
    daemons = parse_web_daemons("haproxy\napache2\nunit\thaproxy\tenabled\tactive\n")
    assert daemons.running == {"haproxy", "apache2"}
    assert daemons.units["haproxy"] == ("enabled", "active")


def test_exercise5_solved_cib_and_readings_pass():
    stats = read("haproxy-stats.csv")
    lab = facts("cib-exercise5.xml",
                node1={"web_vip": "10.77.5.120\t200\n", "web_daemons": "apache2\n"},
                node2={"web_vip": "10.77.5.120\t200\n", "haproxy_stats": stats,
                       "web_daemons": "apache2\nhaproxy\n"})
    outcome = judge("site_on_vip", lab)
    assert outcome.status is Status.PASS, outcome
    assert "2 back ends UP: node1, node2" in outcome.message
    # the group was moved by standby and back: a stop on the other node, no cli- left
    cib = lab.cib
    assert cib is not None and not [c for c in cib.locations if c.id.startswith("cli-")]
    assert any(op.operation == "stop" and op.succeeded for op in cib.history_of("haproxy"))
