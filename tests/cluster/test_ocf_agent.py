"""The custom OCF agent of lesson 7.3.4 runs under the real cluster, as the lesson shows."""

from __future__ import annotations

import time
import urllib.request

from tests.conftest import Lab, install_course_agent


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_labapp_group_starts_fails_over_and_recovers(clean_lab: Lab):
    install_course_agent(clean_lab)
    vip = f"{clean_lab.subnet}.103"
    clean_lab.sh("node1", f"""
pcs resource create app_vip ocf:heartbeat:IPaddr2 ip={vip} cidr_netmask=24 \\
    op monitor interval=10s --group app_grupo
pcs resource create app ocf:labcheck:labapp port=8080 op monitor interval=10s --group app_grupo
crm_resource --wait --timeout=60s
""")
    assert answers(f"http://{vip}:8080/")
    node = clean_lab.sh("node1", "crm_resource --locate -r app").stdout.rsplit(":", 1)[1].strip()

    # the lesson's experiment: kill the process and watch the cluster recover it
    clean_lab.sh(node, "kill $(cat /run/resource-agents/labapp-app.pid)")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        failures = clean_lab.sh("node1", "crm_mon -1 --output-as=xml").stdout
        if 'task="monitor"' in failures and "<failure " in failures and answers(
                f"http://{vip}:8080/"):
            break
        time.sleep(2)
    else:
        raise AssertionError("o cluster não recuperou o labapp em 60 s")

    # and a node loss moves the group
    clean_lab.nslab("stop-node", node)
    try:
        other = "node2" if node == "node1" else "node1"
        clean_lab.sh(other, "crm_resource --wait --timeout=90s")
        assert f"running on: {other}" in clean_lab.sh(other, "crm_resource --locate -r app").stdout
        assert answers(f"http://{vip}:8080/")
    finally:
        clean_lab.nslab("start-node", node)
