"""Real fencing on the namespace lab: fence_nslab as a stonith device, stonith-enabled=true.

No mocks: Pacemaker's own fencer runs /usr/sbin/fence_nslab inside node1, which asks the
lab's fence daemon on the host to power node2 off and on (`nslab power-off/power-on`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from checker.fencing import FenceEvent, parse_fence_history
from tests.conftest import Lab, wait_for

pytestmark = pytest.mark.cluster

AGENT = "/usr/sbin/fence_nslab"


def history(lab: Lab, target: str = "*") -> tuple[FenceEvent, ...]:
    # --verbose: without it Pacemaker 2.1.5 lists one event per target, and not the newest.
    out = lab.sh("node1", f"stonith_admin --history '{target}' --verbose --output-as=xml").stdout
    events = parse_fence_history(out)
    assert events is not None, out
    return events


def node_online(lab: Lab, node: str) -> bool:
    out = lab.sh("node1", "crm_mon -1 --output-as=xml", check=False).stdout
    return re.search(rf'<node name="{node}"[^>]*online="true"', out) is not None


def anchor(lab: Lab, node: str) -> str:
    """The host PID of the node's PID 1: a new one means the node was booted again."""
    return (lab.state / "nodes" / node / "anchor.pid").read_text().strip()


def agent(lab: Lab, stdin: str, node: str = "node1"):
    """fence_nslab as the fencer runs it: options as name=value lines on stdin."""
    return lab.sh(node, f"printf '{stdin}' | {AGENT}", check=False)


@pytest.fixture
def fencing_lab(clean_lab: Lab) -> Lab:
    """A fence_nslab device and stonith-enabled=true; `nslab reset` takes both away."""
    lab = clean_lab
    lab.sh("node1", "pcs stonith create fence-lab fence_nslab pcmk_host_list='node1 node2' && "
                    "pcs property set stonith-enabled=true")
    wait_for("fence-lab started", lambda: "Started" in lab.sh(
        "node1", "pcs stonith status", check=False).stdout, timeout=60)
    yield lab
    lab.nslab("reset")
    assert "NO stonith devices" in lab.sh("node1", "pcs stonith status").stdout
    assert "stonith-enabled: false" in lab.sh("node1", "pcs property config stonith-enabled").stdout


def test_pcs_stonith_fence_reboots_the_node(fencing_lab: Lab):
    lab = fencing_lab
    booted = anchor(lab, "node2")
    daemon_log = lab.state / "fence_nslabd.log"
    offset = daemon_log.stat().st_size
    fence = lab.sh("node1", "pcs stonith fence node2")
    assert "Node: node2 fenced" in fence.stdout + fence.stderr
    # powered off and on again (a new PID 1); the cluster sees it leave, then come back
    # once it has booted (the fence daemon's boot delay)
    assert anchor(lab, "node2") != booted
    wait_for("node2 OFFLINE", lambda: not node_online(lab, "node2"), timeout=30)
    wait_for("node2 back Online", lambda: node_online(lab, "node2"))

    out = lab.sh("node1", "stonith_admin --history node2 --output-as=xml").stdout
    (event,) = parse_fence_history(out)
    assert (event.action, event.target, event.status) == ("reboot", "node2", "success")
    assert event.delegate == "node1" and event.client.startswith("stonith_admin")
    assert not event.asked_by_cluster
    log = daemon_log.read_text()[offset:]
    assert -1 < log.find(" off node2: ok") < log.find(" on node2: ok"), log


def test_unannounced_crash_is_fenced_before_resources_move(fencing_lab: Lab):
    lab = fencing_lab
    lab.sh("node1", "pcs resource create dummy ocf:pacemaker:Dummy --disabled && "
                    "pcs constraint location dummy prefers node2=50 && "
                    "pcs resource enable dummy --wait=60")
    assert "node2" in lab.sh("node1", "crm_resource --locate -r dummy").stdout
    log_file = lab.state / "nodes" / "node1" / "log-pacemaker" / "pacemaker.log"
    offset = log_file.stat().st_size

    lab.nslab("crash-node", "node2")   # nobody says goodbye: the cluster must fence it

    event = wait_for("the cluster fencing node2", lambda: next(
        (e for e in history(lab, "node2") if e.asked_by_cluster and e.succeeded), None))
    assert (event.action, event.target, event.delegate, event.origin) == \
        ("reboot", "node2", "node1", "node1")
    wait_for("node2 back Online", lambda: node_online(lab, "node2"))

    with log_file.open(encoding="utf-8", errors="replace") as log:
        log.seek(offset)
        lines = log.read().splitlines()
    fenced = next(i for i, line in enumerate(lines)
                  if "Operation 'reboot' targeting node2 by node1" in line and ": OK" in line)
    started = [i for i, line in enumerate(lines)
               if "Result of start operation for dummy on node1: ok" in line]
    assert started, "dummy never started on node1"
    assert started[0] > fenced, "\n".join(lines[min(started[0], fenced):fenced + 1])
    assert not any("dummy_start_0" in line and "on node1" in line for line in lines[:fenced])


def test_agent_called_as_the_fencer_calls_it(clean_lab: Lab):
    lab = clean_lab
    meta = agent(lab, "action=metadata\\n")
    assert meta.returncode == 0, meta.stderr
    root = ET.fromstring(meta.stdout)
    assert (root.tag, root.get("name")) == ("resource-agent", "fence_nslab")
    params = {p.get("name") for p in root.iter("parameter")}
    assert {"action", "plug", "port", "ipaddr", "ipport", "key_file"} <= params
    assert {"on", "off", "reboot", "status", "list", "monitor", "metadata", "validate-all"} <= \
        {a.get("name") for a in root.iter("action")}
    assert "fence_nslab" in lab.sh("node1", "stonith_admin --list-installed").stdout

    assert agent(lab, "action=validate-all\\n").returncode == 0
    listed = agent(lab, "# as pacemaker-fenced writes it\\naction=list\\n")
    assert (listed.returncode, listed.stdout) == (0, "node1,node1\nnode2,node2\n")
    assert agent(lab, "action=monitor\\n").returncode == 0
    on = agent(lab, "action=status\\nnodename=node2\\nport=node2\\n")
    assert (on.returncode, on.stdout.strip()) == (0, "Status: ON")

    # off and on again through the agent (stonith is disabled: nobody else fences node2)
    off = agent(lab, "action=off\\nplug=node2\\n")
    assert off.returncode == 0, off.stderr
    status = agent(lab, "action=status\\nplug=node2\\n")
    assert (status.returncode, status.stdout.strip()) == (2, "Status: OFF")
    powered = lab.nslab("power-status", "node2", check=False)
    assert (powered.returncode, powered.stdout) == (2, "off\n")
    cli_on = lab.sh("node1", f"{AGENT} -o on -n node2", check=False)
    assert cli_on.returncode == 0 and "Success: Powered ON" in cli_on.stdout, cli_on.stderr
    wait_for("node2 OFFLINE", lambda: not node_online(lab, "node2"), timeout=30)
    wait_for("node2 back Online", lambda: node_online(lab, "node2"))

    # what is wrong, said clearly, exit 1
    for stdin, said in (("action=explode\\nplug=node2\\n", "unknown action 'explode'"),
                        ("action=status\\n", "needs the node"),
                        ("action=off\\nplug=node9\\n", "unknown node 'node9'"),
                        ("action=status\\nplug=node2\\nipport=http\\n", "ipport must be"),
                        ("action=status\\nplug=node2\\nkey_file=/etc/pacemaker/authkey\\n",
                         "authentication failed"),
                        ("action=list\\nkey_file=/nonexistent\\n", "cannot read the key file"),
                        ("action=list\\nipport=9\\n", "cannot talk to the fence daemon")):
        bad = agent(lab, stdin)
        assert bad.returncode == 1 and said in bad.stderr, (stdin, bad.stderr)
    wrong = lab.sh("node1", f"{AGENT} --bogus", check=False)
    assert wrong.returncode == 1 and "unrecognized arguments: --bogus" in wrong.stderr
