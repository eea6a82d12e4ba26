"""The cluster model parses XML that real Pacemaker 2.1.5 commands printed (see fixtures/)."""

from pathlib import Path

import pytest

from checker.errors import ModelError
from checker.model import INFINITY, parse_cib, parse_interval_ms, parse_score, parse_status

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pacemaker-2.1.5"


def read(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_busy_cib_resources_groups_clones():
    cib = parse_cib(read("cib-busy.xml"))
    assert cib.properties["stonith-enabled"] == "false"
    assert set(cib.nodes) >= {"node1", "node2"}
    assert cib.primitives["node3"].agent == "ocf:pacemaker:remote"
    assert cib.primitives["node3"].params["reconnect_interval"] == "60s"
    ip = cib.primitives["ip-remoto"]
    assert ip.agent == "ocf:heartbeat:IPaddr2" and ip.monitor_intervals_ms() == [10_000]
    assert cib.groups["web"].members == ("g-ip", "g-d2")
    assert cib.primitives["g-d2"].parent == "web"
    clone = cib.clones["st-clone"]
    assert clone.promotable and clone.child == "st"
    assert cib.primitives["d1"].meta["allow-migrate"] == "true"


def test_constraints_and_their_scores():
    cib = parse_cib(read("cib-busy.xml"))
    by_id = {c.id: c for c in cib.locations}
    assert by_id["location-ip-remoto-node3-INFINITY"].score == INFINITY
    assert by_id["location-web-node3--INFINITY"].score == -INFINITY
    assert by_id["cli-prefer-web"].node == "node2"
    # a constraint on the group applies to its members
    assert "cli-prefer-web" in {c.id for c in cib.locations_for("g-d2")}


def test_operation_history_shows_the_live_migration():
    cib = parse_cib(read("cib-busy.xml"))
    ops = {(op.operation, op.node) for op in cib.history if op.resource == "d1" and op.succeeded}
    assert ("migrate_to", "node2") in ops and ("migrate_from", "node1") in ops


def test_operations_on_a_remote_node_are_that_node_s():
    # Pacemaker writes on_node="node1" on node3's operations: node1 hosts the connection.
    cib = parse_cib(read("cib-busy.xml"))
    nodes = {op.node for op in cib.history if op.resource == "ip-remoto" and op.interval_ms}
    assert nodes == {"node3", "node2"}
    probes = {op.node: op.rc for op in cib.history if op.resource == "d1" and op.is_probe}
    assert probes.get("node3") == 7


def test_busy_status():
    status = parse_status(read("crm_mon-busy.xml"))
    assert status.nodes["node3"].type == "remote" and status.nodes["node3"].online
    assert status.active_nodes("ip-remoto") == ["node3"]
    assert status.active_nodes("d1") == ["node1"]
    assert status.instances("g-ip")[0].parent == "web"
    roles = sorted(i.role for i in status.instances("st") if i.active)
    assert roles == ["Promoted", "Unpromoted"]
    assert status.has_quorum is True


def test_node_offline_seen_from_the_other_node():
    status = parse_status(read("crm_mon-node2-offline.xml"))
    assert not status.nodes["node2"].online and status.nodes["node1"].online


def test_fresh_lab():
    cib = parse_cib(read("cib-fresh.xml"))
    assert cib.primitives == {} and cib.locations == ()
    assert parse_status(read("crm_mon-fresh.xml")).resources == {}


def test_crm_mon_of_a_stopped_node_is_an_error_with_its_reason():
    with pytest.raises(ModelError, match="Not connected"):
        parse_status(read("crm_mon-stopped.xml"))


@pytest.mark.parametrize("name", ["cib-busy.xml", "crm_mon-busy.xml"])
def test_truncated_xml_is_a_model_error(name: str):
    text = read(name)
    parse = parse_cib if name.startswith("cib") else parse_status
    with pytest.raises(ModelError, match="truncado"):
        parse(text[: len(text) // 2])


def test_not_a_cib():
    with pytest.raises(ModelError, match="não <cib>"):
        parse_cib(read("crm_mon-busy.xml"))
    with pytest.raises(ModelError, match="vazio"):
        parse_cib("")


@pytest.mark.parametrize(
    ("text", "ms"),
    [("30s", 30_000), ("30", 30_000), ("30000ms", 30_000), ("1min", 60_000), ("PT30S", 30_000),
     ("2h", 7_200_000), ("0", 0), ("soon", None)],
)
def test_intervals(text: str, ms: int | None):
    assert parse_interval_ms(text) == ms


@pytest.mark.parametrize(("text", "score"),
                         [("INFINITY", INFINITY), ("+INFINITY", INFINITY), ("-INFINITY", -INFINITY),
                          ("100", 100), ("", 0), ("x", 0)])
def test_scores(text: str, score: int):
    assert parse_score(text) == score


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE cib [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<cib><configuration><crm_config>&d;</crm_config></configuration></cib>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE cib [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<cib><configuration><crm_config>&x;</crm_config></configuration></cib>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_dtd_and_entities_are_refused_before_parsing(document):
    for parse in (parse_cib, parse_status):
        with pytest.raises(ModelError, match="DTD"):
            parse(document)


def test_xml_too_deep_or_too_large_is_a_model_error():
    deep = "<cib><configuration><resources>" + "<group id='g'>" * 100 + "</group>" * 100 + \
        "</resources></configuration></cib>"
    with pytest.raises(ModelError, match="aninhado demais"):
        parse_cib(deep)
    wide = "<cib><configuration>" + "<x/>" * 200_001 + "</configuration></cib>"
    with pytest.raises(ModelError, match="grande"):
        parse_cib(wide)


def test_numbers_past_python_limits_are_read_as_unknown():
    huge = "1" + "0" * 5000
    assert parse_interval_ms(f"{huge}s") is None and parse_score(huge) == 0
    cib = parse_cib(read("cib-busy.xml").replace('epoch="', f'epoch="{huge}', 1))
    assert cib.epoch[1] == 0
