"""Exercise 2 graded on the real namespace cluster: pass and fail for each step."""

from __future__ import annotations

import pytest

from tests.conftest import Lab


def test_fresh_lab_fails_with_hints(clean_lab: Lab):
    graded = clean_lab.labcheck("exercise2")
    assert graded.code == 1
    assert graded.status("cluster-online") == "pass"
    for step in ("remoted-running", "same-authkey", "remote-resource", "remote-online",
                 "resource-on-remote"):
        assert graded.status(step) == "fail", step
        assert graded.check(step)["hint"], step
    # node3 has no systemd here: "enabled at boot" cannot be judged, and is not failed
    assert graded.status("remoted-enabled") == "skip"
    assert "node3" in graded.check("same-authkey")["message"]


@pytest.fixture(scope="module")
def solved(lab: Lab) -> Lab:
    lab.nslab("reset")
    lab.solve("exercise2")
    return lab


def test_reference_solution_passes_every_step(solved: Lab):
    graded = solved.labcheck("exercise2")
    assert graded.code == 0, graded.stdout
    statuses = {c["id"]: c["status"] for c in graded.json["checks"]}
    assert statuses.pop("remoted-enabled") == "skip"
    assert set(statuses.values()) == {"pass"}, statuses
    assert graded.json["score"] == graded.json["max_score"] == 95
    assert "ip-remoto" in graded.check("resource-on-remote")["message"]


def test_grading_never_writes_to_the_cib(solved: Lab):
    before = solved.cib_epoch()
    for _ in range(2):
        solved.labcheck("exercise2")
    assert solved.cib_epoch() == before


def test_text_report_for_students(solved: Lab):
    graded = solved.labcheck("exercise2", fmt="text")
    assert graded.code == 0
    assert "✔ 1. Cluster ativo" in graded.stdout
    assert "Resultado: 95/95 pontos — APROVADO" in graded.stdout


def test_saved_cib_is_graded_offline(solved: Lab, tmp_path):
    cib = tmp_path / "cib.xml"
    cib.write_text(solved.sh("node1", "pcs cluster cib").stdout)
    graded = solved.labcheck("exercise2", "--cib", str(cib), inventory=tmp_path / "none.yaml")
    assert graded.code == 0
    assert graded.status("remote-resource") == "pass"
    assert graded.status("remote-online") == "skip"
    # a saved CIB shows a correct configuration, never a passed exercise
    assert graded.json["passed"] is False and graded.json["offline"] is True
    assert graded.json["verdict"] == "configuration-ok" and graded.json["unchecked"] >= 1
    text = solved.labcheck("exercise2", "--cib", str(cib), inventory=tmp_path / "none.yaml",
                           fmt="text")
    assert "APROVADO" not in text.stdout and "configuração correta" in text.stdout
    assert "não é a aprovação no exercício" in text.stdout


def test_constraint_missing_is_named(clean_lab: Lab):
    clean_lab.solve("exercise2")
    clean_lab.sh("node1", "pcs constraint location delete location-ip-remoto-node3-INFINITY"
                          " && pcs constraint location ip-remoto avoids node1 node2"
                          " && crm_resource --wait --timeout=60s")
    graded = clean_lab.labcheck("exercise2")
    assert graded.status("resource-on-remote") == "fail"
    assert "pcs constraint location ip-remoto prefers node3" in graded.check(
        "resource-on-remote")["hint"]


def test_different_authkey_on_the_remote_node(clean_lab: Lab):
    clean_lab.solve("exercise2")
    clean_lab.sh("node3", "dd if=/dev/urandom of=/etc/pacemaker/authkey bs=256 count=1 "
                          "status=none")
    graded = clean_lab.labcheck("exercise2")
    assert graded.status("same-authkey") == "fail"
    assert "difere" in graded.check("same-authkey")["message"]


def test_remoted_stopped(clean_lab: Lab):
    clean_lab.solve("exercise2")
    clean_lab.nslab("remote-stop")
    graded = clean_lab.labcheck("exercise2")
    assert graded.status("remoted-running") == "fail"
    # pacemaker-remoted closes its port first and may still be exiting when graded
    message = graded.check("remoted-running")["message"]
    assert ("pacemaker-remoted não está rodando em node3" in message
            or "node3 não escuta na porta 3121" in message)


@pytest.mark.parametrize(
    ("command", "fragment"),
    [
        ("pcs resource create node3 ocf:pacemaker:remote_node hostname={addr} --force",
         "ocf:pacemaker:remote_node não existe"),
        ("pcs resource create node3 ocf:pacemaker:remote server={addr} reconnect_delay=10 --force",
         "reconnect_interval"),
    ],
)
def test_source_lesson_forms_are_explained(clean_lab: Lab, command: str, fragment: str):
    clean_lab.sh("node1", command.format(addr=clean_lab.address("node3")) + " --disabled")
    graded = clean_lab.labcheck("exercise2")
    assert graded.status("remote-resource") == "fail"
    assert fragment in graded.check("remote-resource")["hint"]
