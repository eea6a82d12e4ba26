"""Property-based fuzzing of everything that reads what a node or an inventory sends.

Whatever the input — random, truncated or mutated real Pacemaker output — only labcheck's
own errors (LabcheckError) may come out, and what comes out is clean text. The seed
documents are the real Pacemaker 2.1.5 outputs in tests/fixtures/pacemaker-2.1.5/.
"""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.agentmeta import parse_metadata
from checker.boundary import CONTROL_FREE, bounded_int, clean_text, decode_node_output
from checker.checks import Outcome, Status
from checker.errors import LabcheckError, ModelError
from checker.exercises import available, load_exercise
from checker.facts import (
    LabFacts,
    NodeFacts,
    parse_custom_agents,
    parse_haproxy_csv,
    parse_pg_probes,
    parse_proc_net_tcp,
    parse_ssh_peers,
    parse_vm_configs,
    parse_web_answers,
    parse_web_daemons,
)
from checker.fencing import (
    MAX_SBD_TIMEOUT_S,
    parse_fence_history,
    parse_sbd_config,
    parse_sbd_dump,
    parse_sbd_list,
    parse_sbd_probe,
    sbd_devices,
)
from checker.gather import _attach_cluster_model
from checker.grading import grade
from checker.inventory import Host, Inventory, parse_inventory
from checker.model import parse_cib, parse_interval_ms, parse_score, parse_status
from checker.probes import PROBES, ProbeOutput, build_script, parse_output
from checker.report import render_json, render_junit, render_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pacemaker-2.1.5"
SEEDS = {p.name: p.read_text() for p in FIXTURES.iterdir() if p.suffix in {".xml", ".txt"}}
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Text as a hostile node could send it: any code point, control characters included.
any_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=400)
numbers = st.one_of(st.integers(-10**30, 10**30).map(str), st.just("1" + "0" * 5000),
                    st.just("-" + "9" * 4400), st.just("٣٤"), st.just("²"), st.just("0x1F"))


@st.composite
def mutated_seed(draw) -> str:
    """A real Pacemaker document, cut short, with random text and huge numbers put in."""
    text = draw(st.sampled_from(sorted(SEEDS.values())))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.one_of(any_text, numbers, st.just('"'), st.just("<"))) + text[at:]
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    if draw(st.booleans()):  # numbers where Pacemaker puts numbers
        text = text.replace('interval="', f'interval="{draw(numbers)}', 1)
        text = text.replace('epoch="', f'epoch="{draw(numbers)}', 1)
        text = text.replace('rc-code="', f'rc-code="{draw(numbers)}', 1)
    return text


node_text = st.one_of(any_text, mutated_seed())


@FUZZ
@given(node_text)
def test_model_parsers_raise_only_model_errors(text):
    for parse in (parse_cib, parse_status):
        with contextlib.suppress(ModelError):
            parse(text)


@FUZZ
@given(st.one_of(any_text, numbers))
def test_number_parsers_never_raise(text):
    parse_score(text)
    parse_interval_ms(text)
    parse_interval_ms(text + "s")
    parse_interval_ms(f"PT{text}S")
    assert bounded_int(text) is None or abs(bounded_int(text)) < 10**18


@FUZZ
@given(any_text, st.integers(0, 10))
def test_parse_output_never_raises_on_random_or_cut_output(noise, cut):
    marker = build_script([PROBES["cib"], PROBES["status"]])[1]
    real = (f"\n{marker}-begin cib\n<cib/>\n{marker}-end cib 0\n"
            f"\n{marker}-begin status\n{noise}\n{marker}-end status {'9' * cut}\n")
    for stdout in (noise, real, real[: len(real) // 2], noise + real + noise,
                   real.replace(" 0\n", f" 1{'0' * 5000}\n")):
        result = parse_output(stdout, marker)
        assert set(result) <= {"cib", "status"}
        assert all(0 <= out.exit_status <= 999 for out in result.values())


@FUZZ
@given(node_text)
def test_probe_parsers_never_raise(text):
    parse_ssh_peers(text)
    parse_proc_net_tcp(text)
    parse_vm_configs(text)
    parse_pg_probes(text)
    for agent in parse_custom_agents(text):
        with contextlib.suppress(ModelError):
            parse_metadata(agent.metadata)
    parse_haproxy_csv(text)
    parse_web_answers(text)
    parse_web_daemons(text)
    assert all(0 <= port <= 0xFFFF for port in parse_proc_net_tcp(text))
    parse_fence_history(text)
    header = parse_sbd_dump(text)
    assert header is None or header.msgwait_s <= MAX_SBD_TIMEOUT_S
    parse_sbd_list(text)
    sbd_devices(parse_sbd_config(text))
    parse_sbd_probe(text)


LAB = Inventory("fuzz", (Host("node1", "10.0.0.11", "cluster"), Host("node2", "10.0.0.12", "cluster"),
                         Host("node3", "10.0.0.13", "remote")))
EXERCISES = [load_exercise(name) for name in available()]


@FUZZ
@given(st.dictionaries(st.sampled_from(sorted(PROBES)),
                       st.tuples(st.integers(0, 255), node_text.map(clean_text)), max_size=len(PROBES)))
def test_grading_hostile_facts_gives_a_report_never_an_exception(outputs):
    """Every check of every exercise, on probe outputs a hostile node could send."""
    nodes = {h.name: NodeFacts(h, probes={name: ProbeOutput(status, text)
                                          for name, (status, text) in outputs.items()})
             for h in LAB.hosts}
    facts = LabFacts(inventory=LAB, nodes=nodes)
    _attach_cluster_model(facts)
    for exercise in EXERCISES:
        report = grade(exercise, facts)
        for rendered in (render_text(report), render_json(report), render_junit(report)):
            assert CONTROL_FREE.fullmatch(rendered), rendered
        ET.fromstring(render_junit(report))


@FUZZ
@given(any_text)
def test_junit_is_well_formed_whatever_the_messages(text):
    exercise = EXERCISES[0]
    facts = LabFacts(inventory=LAB, nodes={h.name: NodeFacts(h, error=clean_text(text))
                                           for h in LAB.hosts})
    report = grade(exercise, facts)
    hostile = tuple(replace(r, outcome=Outcome(Status.FAIL, clean_text(text), clean_text(text)))
                    for r in report.results)
    ET.fromstring(render_junit(replace(report, results=hostile)))


@FUZZ
@given(st.binary(max_size=300))
def test_decoded_node_output_is_clean_text(data):
    text = decode_node_output(data)
    assert CONTROL_FREE.fullmatch(text) and clean_text(text) == text


inventory_text = st.one_of(
    any_text,
    st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), any_text),
                 lambda inner: st.one_of(st.lists(inner, max_size=3),
                                         st.dictionaries(any_text, inner, max_size=3)),
                 max_leaves=12).map(lambda data: __import__("yaml").safe_dump(
                     {"all": {"children": {"cluster": {"hosts": data}}}})),
)


@FUZZ
@given(inventory_text)
def test_inventories_raise_only_labcheck_errors(text):
    try:
        inventory = parse_inventory(text, "fuzz.yaml")
    except LabcheckError:
        return
    for host in inventory.hosts:  # what is accepted is plain
        assert not host.name.startswith("-") and "/" not in host.name and " " not in host.name
        assert 1 <= host.port <= 65535
