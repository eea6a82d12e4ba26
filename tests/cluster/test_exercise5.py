"""Exercise 5 on the namespace cluster: Apache cloned, HAProxy and a virtual IP in a group.

The namespace lab has no systemd: HAProxy runs under ocf:heartbeat:anything, as the
exercise's page shows for this lab. Each node has its own /etc/apache2, /etc/haproxy and
/var/www, and its own PID namespace (the apache agent's stop signals by pattern).
"""

from __future__ import annotations

import time

import pytest

from tests.conftest import Lab

HAPROXY = ("pcs resource create haproxy ocf:heartbeat:anything binfile=/usr/sbin/haproxy "
           "cmdline_options='-db -f /etc/haproxy/haproxy.cfg' op monitor interval=10s")


def vip(lab: Lab) -> str:
    return f"{lab.subnet}.120"


def ip_resource(lab: Lab, group: str = "--group lb") -> str:
    return (f"pcs resource create lb_vip ocf:heartbeat:IPaddr2 ip={vip(lab)} cidr_netmask=24 "
            f"op monitor interval=10s {group}")


def eventually(lab: Lab, step: str, status: str = "pass", timeout: float = 40):
    """HAProxy marks a back end UP after two good checks: grade until it settles."""
    deadline = time.monotonic() + timeout
    while True:
        check = lab.labcheck("exercise5").check(step)
        if check["status"] == status or time.monotonic() > deadline:
            return check
        time.sleep(2)


@pytest.fixture
def configured(clean_lab: Lab) -> Lab:
    """Apache on 8000 and haproxy.cfg on both nodes: the solution's files, no resources."""
    clean_lab.solve("exercise5")
    clean_lab.sh("node1", "pcs resource delete lb --force; pcs resource delete web-clone "
                          "--force; crm_resource --wait --timeout=60s")
    return clean_lab


def test_fresh_lab_fails(clean_lab: Lab):
    graded = clean_lab.labcheck("exercise5")
    assert graded.code == 1
    assert graded.check("web-cloned")["message"].startswith("Nenhum recurso de servidor web")
    assert graded.check("site-on-vip")["hint"].startswith("Crie primeiro o grupo")


def test_solution_passes_survives_a_node_stop_and_reset_brings_the_failure_back(
        clean_lab: Lab, tmp_path):
    env = {"HOME": str(tmp_path)}
    started = clean_lab.labcheck("start", "exercise5", "--force", fmt="", env=env)
    assert started.code == 0, started.stdout
    clean_lab.solve("exercise5")
    check = eventually(clean_lab, "site-on-vip")
    assert check["status"] == "pass", check
    graded = clean_lab.labcheck("exercise5")
    assert graded.code == 0, graded.stdout
    assert "2 back ends UP: node1, node2" in graded.check("site-on-vip")["message"]
    running_on = graded.check("lb-group")["message"].rsplit(" em ", 1)[1].rstrip(".")

    clean_lab.nslab("stop-node", running_on)
    try:
        survivor = "node2" if running_on == "node1" else "node1"
        clean_lab.sh(survivor, "crm_resource --wait --timeout=120s")
        check = eventually(clean_lab, "site-on-vip", status="fail")
        # the site still answers on the virtual IP; only the stopped node's back end is down
        assert f"O site responde em {vip(clean_lab)}" in check["message"], check
        assert f"fora: {running_on}" in check["message"]
    finally:
        clean_lab.nslab("start-node", running_on)

    reset = clean_lab.labcheck("reset", "exercise5", "--yes", fmt="", env=env)
    assert reset.code == 0, reset.stdout + reset.stderr
    graded = clean_lab.labcheck("exercise5")
    assert graded.code == 1
    assert graded.status("web-cloned") == "fail" and graded.status("lb-group") == "fail"


def test_ip_after_haproxy_in_the_group(configured: Lab):
    lab = configured
    lab.sh("node1", f"{HAPROXY} --group lb && {ip_resource(lab)} && "
                    "crm_resource --wait --timeout=60s; true")
    check = lab.labcheck("exercise5").check("lb-group")
    assert check["status"] == "fail"
    assert "haproxy vem antes de lb_vip" in check["message"]
    assert "pcs resource group add lb lb_vip --before haproxy" in check["hint"]


def test_monitor_without_statusurl_and_server_on_one_node(configured: Lab):
    lab = configured
    lab.sh("node1", "pcs resource create web ocf:heartbeat:apache "
                    "configfile=/etc/apache2/apache2.conf op monitor interval=20s "
                    "&& crm_resource --wait --timeout=60s")
    check = lab.labcheck("exercise5").check("web-cloned")
    assert "não tem statusurl=" in check["message"]
    assert "pcs resource update web statusurl=" in check["hint"]
    lab.sh("node1", "pcs resource update web statusurl=http://127.0.0.1:8000/server-status "
                    "&& crm_resource --wait --timeout=60s")
    check = lab.labcheck("exercise5").check("web-cloned")
    assert "web não é um clone" in check["message"] and "pcs resource clone web" in check["hint"]


def test_haproxy_started_by_hand_outside_the_cluster(configured: Lab):
    lab = configured
    # as Debian's package leaves it: started by the system with its own minimal config
    lab.sh("node2", "printf 'global\\ndefaults\\n  mode http\\n  timeout connect 1s\\n"
                    "  timeout client 1s\\n  timeout server 1s\\nfrontend f\\n"
                    "  bind 127.0.0.1:8090\\n' > /run/manual.cfg && "
                    "haproxy -D -f /run/manual.cfg -p /run/manual.pid")
    lab.sh("node1", f"{ip_resource(lab)} && {HAPROXY} --group lb && "
                    "pcs constraint location lb prefers node1 && "
                    "crm_resource --wait --timeout=60s; true")
    check = lab.labcheck("exercise5").check("only-in-cluster")
    assert check["status"] == "fail"
    assert "Um HAProxy roda em node2, fora do cluster" in check["message"]
    assert "systemctl disable --now haproxy" in check["hint"]


def test_forgotten_move_constraint(configured: Lab):
    lab = configured
    lab.sh("node1", f"{ip_resource(lab)} && {HAPROXY} --group lb && "
                    "crm_resource --wait --timeout=60s && "
                    "pcs resource move-with-constraint lb && crm_resource --wait --timeout=60s")
    check = lab.labcheck("exercise5").check("moved-clean")
    assert check["status"] == "fail"
    assert "cli-ban-lb-on-node" in check["message"]
    assert "pcs resource clear lb" in check["hint"]


def test_after_exercise2_the_group_stays_off_the_remote_node(clean_lab: Lab):
    # node3 is a remote node: without the solution's rules the standby of step 7 sent the
    # group there, where HAProxy has the package's configuration (found by make e2e)
    clean_lab.solve("exercise2")
    clean_lab.solve("exercise5")
    graded = clean_lab.labcheck("exercise5")
    assert graded.code == 0, graded.stdout
    clean_lab.sh("node1", "pcs constraint delete location-lb && pcs resource ban lb node1 && "
                          "pcs resource ban lb node2 && crm_resource --wait --timeout=60s")
    check = clean_lab.labcheck("exercise5").check("lb-group")
    assert check["status"] == "fail"
    assert "lb roda em node3, que não é nó do cluster" in check["message"], check
    assert "'#kind' ne cluster" in check["hint"]
