"""The lab-readiness checks `labcheck start` runs, on probe output shaped like the real one."""

from pathlib import Path

from checker.checks import CHECKS, Status
from checker.exercises import load_exercise
from checker.facts import LabFacts, NodeFacts
from checker.inventory import parse_inventory
from checker.probes import ProbeOutput

LABS = Path(__file__).resolve().parents[2] / "labs"
INVENTORY = """
all:
  children:
    cluster: {hosts: {node1: {ansible_host: 10.0.0.11}, node2: {ansible_host: 10.0.0.12}}}
    remote: {hosts: {node3: {ansible_host: 10.0.0.13}}}
"""


def lab_facts(**per_node: dict[str, ProbeOutput]) -> LabFacts:
    inventory = parse_inventory(INVENTORY, "teste.yaml")
    nodes = {h.name: NodeFacts(h, probes=per_node.get(h.name, {})) for h in inventory.hosts}
    return LabFacts(inventory=inventory, nodes=nodes)


def files(*paths: str) -> dict[str, ProbeOutput]:
    return {"lab_files": ProbeOutput(0, "\n".join(paths))}


def test_every_exercise_checks_the_lab_before_it_starts():
    for name in ("exercise1", "exercise2", "exercise3"):
        readiness = load_exercise(name, LABS).readiness
        assert readiness and all(r.hint and r.lab == "vagrant" for r in readiness)
        # readiness is read by `labcheck start`, never by grading
        assert not {"lab_files"} & load_exercise(name, LABS).needs


def test_lab_files_present_per_node_and_glob():
    check = CHECKS["lab_files_present"]
    params = {"paths": ["/srv/lab/vm1.xml", "/srv/lab/debs/postgresql-1*_*.deb"], "role": "cluster"}
    ok = lab_facts(node1=files("/srv/lab/vm1.xml", "/srv/lab/debs/postgresql-15_15.14-0+deb12u1_amd64.deb"),
                   node2=files("/srv/lab/vm1.xml", "/srv/lab/debs/postgresql-15_15.14-0+deb12u1_amd64.deb"))
    assert check.function(ok, params).status is Status.PASS

    lacking = lab_facts(node1=files("/srv/lab/vm1.xml",
                                    "/srv/lab/debs/postgresql-client-15_15.14_amd64.deb"),
                        node2=files())
    outcome = check.function(lacking, params)
    assert outcome.status is Status.FAIL
    assert "node1 (falta /srv/lab/debs/postgresql-1*_*.deb)" in outcome.message
    assert "node2 (falta /srv/lab/vm1.xml, /srv/lab/debs/postgresql-1*_*.deb)" in outcome.message


def test_lab_files_present_on_the_remote_node_only():
    check = CHECKS["lab_files_present"]
    params = {"paths": ["/srv/lab/debs/pacemaker-remote_*.deb"], "role": "remote"}
    facts = lab_facts(node3=files("/srv/lab/debs/pacemaker-remote_2.1.5-1+deb12u2_amd64.deb"))
    assert check.function(facts, params).status is Status.PASS


def test_libvirt_answers_names_the_silent_node():
    check = CHECKS["libvirt_answers"]
    down = ProbeOutput(1, "error: failed to connect to the hypervisor\n"
                          "error: Failed to connect socket to '/var/run/libvirt/libvirt-sock'")
    facts = lab_facts(node1={"libvirt_domains": ProbeOutput(0, "\n@running\n")},
                      node2={"libvirt_domains": down})
    outcome = check.function(facts, {})
    assert outcome.status is Status.FAIL
    assert outcome.message.startswith("O libvirt não responde em node2: error: Failed to connect")
