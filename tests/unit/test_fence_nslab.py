"""labs/nslab/fence_nslab without a lab: its options, metadata and the daemon's protocol
(a real daemon on 127.0.0.1 whose "nslab" is a small script keeping power states in files).
The same agent against the real lab: tests/cluster/test_fencing_nslab.py."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from importlib.machinery import SourceFileLoader
from pathlib import Path

import pytest

from tests.conftest import ROOT

AGENT_PATH = ROOT / "labs" / "nslab" / "fence_nslab"
_loader = SourceFileLoader("fence_nslab", str(AGENT_PATH))
_spec = importlib.util.spec_from_loader("fence_nslab", _loader)
fence = importlib.util.module_from_spec(_spec)
sys.modules["fence_nslab"] = fence  # dataclasses look their module up there
_loader.exec_module(fence)

FAKE_NSLAB = """#!/bin/sh
# power-ACTION NODE --name LAB, as the daemon calls nslab; node states are files in $0's dir
d=$(dirname "$0")
case "$1" in
  power-status) if [ -e "$d/$2.off" ]; then echo off; exit 2; fi; echo on ;;
  power-off) touch "$d/$2.off"; echo "$2 off ($3 $4)" ;;
  power-on) rm -f "$d/$2.off"; echo "$2 on" ;;
  *) exit 1 ;;
esac
"""


def test_stdin_options_as_the_fencer_writes_them():
    text = "# comment\naction=reboot\nport=node2\nnodename=node2\nbroken line\nport=node1\n" \
           "  ipaddr = 10.0.0.1 \nvalue=a=b\n"
    assert fence.parse_stdin(text) == {"action": "reboot", "port": "node1",
                                       "nodename": "node2", "ipaddr": "10.0.0.1", "value": "a=b"}


def test_normalize_takes_defaults_from_the_conf_and_port_over_nodename():
    req = fence.normalize({"action": "Off", "nodename": "node1", "port": "node2"},
                          {"ipaddr": "192.168.240.1", "ipport": "1240"})
    assert (req.action, req.plug, req.ipaddr, req.ipport, req.key_file) == \
        ("off", "node2", "192.168.240.1", 1240, fence.DEFAULT_KEY_FILE)
    assert fence.normalize({"option": "status", "plug": "node1", "ipaddr": "h"}, {}).action \
        == "status"
    assert fence.normalize({"plug": "node1"}, {"ipaddr": "h"}).action == "reboot"


@pytest.mark.parametrize(("options", "said"), [
    ({"action": "explode"}, "unknown action"),
    ({"action": "reboot"}, "needs the node"),
    ({"action": "list", "ipaddr": ""}, "no ipaddr given"),
    ({"action": "list", "ipport": "99999"}, "ipport must be"),
    ({"action": "list", "power_timeout": "soon"}, "power_timeout must be"),
])
def test_bad_options_are_named(options, said):
    conf = {"ipaddr": "192.168.240.1"} if "ipaddr" not in options else {}
    with pytest.raises(fence.FenceError, match=said):
        fence.normalize(options, conf)


def test_metadata_has_what_pacemaker_and_pcs_read():
    root = ET.fromstring(fence.metadata())
    assert (root.get("name"), root.find("longdesc").text.startswith("fence_nslab")) == \
        ("fence_nslab", True)
    params = {p.get("name"): p for p in root.iter("parameter")}
    assert params["plug"].get("obsoletes") == "port" and params["port"].get("deprecated") == "1"
    assert params["action"].find("content").get("default") == "reboot"
    for p in params.values():  # fence-agents' lib/metadata.rng: these are required
        assert p.get("unique") in ("0", "1") and p.get("required") in ("0", "1")
        assert p.find("getopt").get("mixed") and p.find("shortdesc").get("lang") == "en"
    actions = [a.get("name") for a in root.iter("action")]
    assert actions[0] == "on" and root.find("actions/action").get("automatic") == "0"
    assert set(fence.ACTIONS) == set(actions)


def test_command_line_errors_exit_1():
    run = subprocess.run([sys.executable, str(AGENT_PATH), "--bogus"], capture_output=True,
                         text=True, timeout=30)
    assert run.returncode == 1 and "unrecognized arguments: --bogus" in run.stderr
    meta = subprocess.run([sys.executable, str(AGENT_PATH), "-o", "metadata"],
                          capture_output=True, text=True, timeout=30)
    assert meta.returncode == 0 and meta.stdout.startswith("<?xml")


@pytest.fixture
def daemon(tmp_path: Path):
    nslab = tmp_path / "nslab"
    nslab.write_text(FAKE_NSLAB)
    nslab.chmod(0o755)
    key = tmp_path / "key"
    key.write_text("0123456789abcdef0123456789abcdef\n")
    backend = fence.Backend((str(nslab), "--name", "fx"), ("node1", "node2"))
    server = fence.Daemon(("127.0.0.1", 0), backend, key.read_bytes().strip())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, key, tmp_path
    server.shutdown()
    server.server_close()


def request(server, key: Path, action: str, plug: str = "", **extra) -> fence.Request:
    options = {"action": action, "plug": plug, "ipaddr": "127.0.0.1",
               "ipport": str(server.server_address[1]), "key_file": str(key),
               "power_timeout": "5", **extra}
    return fence.normalize(options, {})


def test_agent_and_daemon_power_a_node_off_and_on(daemon, capsys):
    server, key, states = daemon
    assert fence.run(request(server, key, "list")) == 0
    assert capsys.readouterr().out == "node1,node1\nnode2,node2\n"
    assert fence.run(request(server, key, "off", "node2")) == 0
    assert (states / "node2.off").exists()
    assert fence.run(request(server, key, "status", "node2")) == 2
    assert fence.run(request(server, key, "list-status")) == 0
    assert capsys.readouterr().out.endswith("node1,node1,ON\nnode2,node2,OFF\n")
    assert fence.run(request(server, key, "reboot", "node2")) == 0
    assert not (states / "node2.off").exists()
    assert fence.run(request(server, key, "monitor")) == 0


def test_daemon_refuses_a_wrong_key_an_unknown_node_and_a_replay(daemon, tmp_path: Path):
    server, key, _ = daemon
    other = tmp_path / "other-key"
    other.write_text("another key, as long as the first one\n")
    with pytest.raises(fence.FenceError, match="authentication failed"):
        fence.run(request(server, other, "status", "node1"))
    with pytest.raises(fence.FenceError, match="unknown node 'node3'"):
        fence.run(request(server, key, "off", "node3"))
    # a request signed for one nonce is refused under another
    secret = key.read_bytes().strip()
    with socket.create_connection(server.server_address, timeout=5) as s:
        first = fence.recv_line(s)["nonce"]
        fence.send_line(s, {"action": "off", "plug": "node1",
                            "mac": fence.mac(secret, first, "off", "node1")})
        assert fence.recv_line(s)["ok"]
    with socket.create_connection(server.server_address, timeout=5) as s:
        fence.recv_line(s)
        fence.send_line(s, {"action": "on", "plug": "node1",
                            "mac": fence.mac(secret, first, "on", "node1")})
        assert fence.recv_line(s) == {"ok": False, "message":
                                      "authentication failed (wrong key_file for this lab?)"}


def test_unreachable_daemon_is_a_failure_not_a_hang(tmp_path: Path):
    key = tmp_path / "key"
    key.write_text("0123456789abcdef0123456789abcdef")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    req = fence.normalize({"action": "list", "ipaddr": "127.0.0.1", "ipport": str(port),
                           "key_file": str(key)}, {})
    with pytest.raises(fence.FenceError, match="cannot talk to the fence daemon"):
        fence.run(req)
