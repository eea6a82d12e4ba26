"""Exercise 3 on the namespace cluster: a real PostgreSQL under ocf:heartbeat:pgsql."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, TEST_LAB, Lab

PGDATA = Path(f"/var/lib/postgresql/labcheck-{TEST_LAB}")


@pytest.fixture(scope="module", autouse=True)
def remove_test_database():
    yield
    shutil.rmtree(PGDATA, ignore_errors=True)




def test_fresh_lab(clean_lab: Lab):
    graded = clean_lab.labcheck("exercise3")
    assert graded.code == 1
    assert graded.status("postgres-installed") == "pass"  # the lab's nodes have it
    assert graded.status("pg-group") == "fail"
    assert graded.check("group-started")["hint"].startswith("Crie primeiro o grupo")


def test_solution_passes_then_fails_over(clean_lab: Lab):
    clean_lab.solve("exercise3")
    graded = clean_lab.labcheck("exercise3")
    assert graded.code == 0, graded.stdout
    assert graded.json["score"] == 90  # the promotable clone is a bonus
    assert graded.status("promotable-bonus") == "fail"
    running_on = graded.check("group-started")["message"].split(" em ")[1].split()[0]

    clean_lab.nslab("stop-node", running_on)
    try:
        survivor = "node2" if running_on == "node1" else "node1"
        clean_lab.sh(survivor, "crm_resource --wait --timeout=120s")
        graded = clean_lab.labcheck("exercise3")
        assert graded.status("cluster-online") == "fail"
        assert f"pg iniciado em {survivor}" in graded.check("group-started")["message"]
        assert graded.status("pg-on-vip") == "pass"
    finally:
        clean_lab.nslab("start-node", running_on)


def test_resources_outside_one_group(clean_lab: Lab):
    clean_lab.sh("node1", f"pcs resource create pg-ip ocf:heartbeat:IPaddr2 "
                          f"ip={clean_lab.address('node1').rsplit('.', 1)[0]}.110 cidr_netmask=24 "
                          "--disabled && pcs resource create pg-db systemd:postgresql "
                          "--force --disabled")
    check = clean_lab.labcheck("exercise3").check("pg-group")
    assert check["status"] == "fail"
    assert "pcs resource group add pg-group pg-ip pg-db" in check["hint"]


def test_debian_umbrella_unit_is_accepted_with_advice(clean_lab: Lab):
    clean_lab.sh("node1", "pcs resource create pg-ip ocf:heartbeat:IPaddr2 ip=192.0.2.10 "
                          "--group pg --disabled && pcs resource create pg-db systemd:postgresql "
                          "--group pg --force --disabled")
    graded = clean_lab.labcheck("exercise3")
    assert graded.status("pg-group") == "pass"
    assert "postgresql@<versão>-main" in graded.check("pg-group")["message"]
    assert graded.status("group-started") == "fail"
    assert "Parados no grupo pg" in graded.check("group-started")["message"]


def test_promotable_clone_bonus(clean_lab: Lab, tmp_path: Path):
    """The bonus check, pointed at ocf:pacemaker:Stateful (no replication in this lab)."""
    definition = yaml.safe_load((ROOT / "labs" / "exercise3.yaml").read_text())
    for step in definition["steps"]:
        if step["id"] == "promotable-bonus":
            step["params"] = {"agents": ["ocf:pacemaker:Stateful"]}
    (tmp_path / "exercise3.yaml").write_text(yaml.safe_dump(definition, allow_unicode=True))
    env = {"LABCHECK_LABS_DIR": str(tmp_path)}
    clean_lab.sh("node1", "pcs resource create st ocf:pacemaker:Stateful"
                          " && crm_resource --wait --timeout=60s")
    assert clean_lab.labcheck("exercise3", env=env).check("promotable-bonus")["message"] \
        .startswith("Nenhum clone promovível")
    clean_lab.sh("node1", "pcs resource delete st && pcs resource create st "
                          "ocf:pacemaker:Stateful promotable && crm_resource --wait --timeout=60s")
    check = clean_lab.labcheck("exercise3", env=env).check("promotable-bonus")
    assert check["status"] == "pass", check
    assert "uma instância promovida" in check["message"]
