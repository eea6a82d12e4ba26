"""Parsing fencing output recorded from real Pacemaker 2.1.5 and sbd 1.5.2 (fixtures' READMEs
say how each file was made)."""

from __future__ import annotations

from pathlib import Path

from checker.fencing import (
    parse_fence_history,
    parse_sbd_config,
    parse_sbd_dump,
    parse_sbd_list,
    sbd_devices,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PACEMAKER = FIXTURES / "pacemaker-2.1.5"
SBD = FIXTURES / "sbd-1.5.2"


def test_fence_history():
    assert parse_fence_history((PACEMAKER / "fence-history-empty.xml").read_text()) == ()
    [event] = parse_fence_history((PACEMAKER / "fence-history-confirm.xml").read_text())
    assert (event.action, event.target, event.origin, event.completed) == (
        "off", "node2", "node1", "2026-12-02 23:15:09Z")
    assert event.succeeded and event.confirmed_by_hand and not event.asked_by_cluster
    # crm_mon's fence history carries the same elements
    crm_mon = (PACEMAKER / "crm_mon-busy.xml").read_text()
    assert parse_fence_history(crm_mon) == ()
    for broken in ("", "<cib/>", "<pacemaker-result><fence_event", "not xml"):
        assert parse_fence_history(broken) is None


def test_sbd_dump_header_and_refusals():
    header = parse_sbd_dump((SBD / "dump.txt").read_text())
    assert header is not None
    assert (header.version, header.slots, header.watchdog_s, header.msgwait_s) == (
        "2.1", 255, 10, 20)
    assert parse_sbd_dump((SBD / "dump-unreadable.txt").read_text()) is None
    assert parse_sbd_dump((SBD / "dump-not-initialized.txt").read_text()) is None
    huge = (SBD / "dump.txt").read_text().replace(": 20", ": 99999999999999999999")
    assert parse_sbd_dump(huge) is None  # a number no sbd writes


def test_sbd_slots():
    assert [(s.number, s.node, s.message) for s in parse_sbd_list(
        (SBD / "list.txt").read_text())] == [(0, "node1", "clear"), (1, "node2", "clear")]
    pending = parse_sbd_list((SBD / "list-message.txt").read_text())
    assert (pending[1].message, pending[1].sender) == ("test", "vm")
    assert parse_sbd_list("== Slots on disk /dev/x NOT dumped\nsbd failed; please check") is None
    assert parse_sbd_list("") == ()


def test_sbd_settings():
    settings = parse_sbd_config((SBD / "etc-default-sbd").read_text())
    assert settings["SBD_WATCHDOG_DEV"] == "/dev/watchdog"
    assert settings["SBD_WATCHDOG_TIMEOUT"] == "5" and "SBD_DEVICE" not in settings
    configured = parse_sbd_config('# x\nSBD_DEVICE="/dev/disk/by-id/virtio-sbd;/dev/vdc"\n'
                                  "SBD_WATCHDOG_TIMEOUT=30 # emulated\nSBD_BAD='unterminated\n"
                                  "export PATH=/x\nsbd_lower=1\n")
    assert sbd_devices(configured) == ("/dev/disk/by-id/virtio-sbd", "/dev/vdc")
    assert configured["SBD_WATCHDOG_TIMEOUT"] == "30" and "SBD_BAD" not in configured


def test_the_sbd_probe_as_a_node_prints_it():
    from checker.fencing import parse_sbd_probe

    dump = (SBD / "dump.txt").read_text().splitlines()
    listing = (SBD / "list.txt").read_text().splitlines()
    text = "\n".join([
        "c|SBD_DEVICE=\"/dev/loop0;/dev/nonexistent\"", "c|SBD_WATCHDOG_TIMEOUT=5",
        "device\t/dev/loop0", *(f"d|{line}" for line in dump), "d|@rc 0",
        *(f"l|{line}" for line in listing), "l|@rc 0",
        "device\t/dev/nonexistent",
        *(f"d|{line}" for line in (SBD / "dump-unreadable.txt").read_text().splitlines()),
        "d|@rc 1", "l|== disk /dev/nonexistent unreadable!", "l|@rc 1",
        "baddevice", "watchdog\twatchdog0\tsoftdog", "running"])
    view = parse_sbd_probe(text)
    assert view.configured and view.running and view.watchdogs == ("softdog",)
    ok, missing = view.devices
    assert ok.header.msgwait_s == 20 and [s.node for s in ok.slots] == ["node1", "node2"]
    assert missing.header is None and missing.slots is None
    assert missing.error == "== disk /dev/nonexistent unreadable!"
    assert view.bad_devices == 1
    empty = parse_sbd_probe("")
    assert not empty.configured and empty.devices == () and not empty.running


def test_the_sbd_probe_keeps_at_most_what_sbd_accepts():
    from checker.fencing import MAX_SBD_DEVICES, MAX_WATCHDOGS, parse_sbd_probe

    flood = "\n".join([*(f"device\t/dev/x{i}\nd|junk" for i in range(10_000)),
                        *(f"watchdog\twatchdog{i}\tsoftdog" for i in range(10_000))])
    view = parse_sbd_probe(flood)
    assert len(view.devices) == MAX_SBD_DEVICES and len(view.watchdogs) == MAX_WATCHDOGS


def test_a_crash_fenced_by_the_cluster_and_one_asked_by_hand():
    by_cluster, by_hand = parse_fence_history((PACEMAKER / "fence-history-crash.xml").read_text())
    assert by_cluster.asked_by_cluster and by_cluster.succeeded and by_cluster.action == "reboot"
    assert (by_cluster.target, by_cluster.delegate) == ("node2", "node1")
    assert not by_hand.asked_by_cluster and not by_hand.confirmed_by_hand


# -- the checks, on what the Vagrant lab with SBD really printed (fixtures/vagrant-sbd) ------

VAGRANT = FIXTURES / "vagrant-sbd"


def vagrant_facts(cib_edit=lambda s: s, **sbd_edits):
    """The recorded lab; sbd_edits[node] changes that node's sbd probe text."""
    from checker.facts import LabFacts, NodeFacts
    from checker.inventory import Host, Inventory
    from checker.model import parse_cib, parse_status
    from checker.probes import ProbeOutput

    inventory = Inventory("vagrant", (Host("node1", "192.168.213.11", "cluster"),
                                      Host("node2", "192.168.213.12", "cluster")))
    nodes = {}
    for host in inventory.hosts:
        sbd = (VAGRANT / f"{host.name}.sbd.txt").read_text()
        sbd = sbd_edits.get(host.name, lambda s: s)(sbd)
        history = (VAGRANT / "node1.fence_history.txt").read_text()
        nodes[host.name] = NodeFacts(host, probes={"sbd": ProbeOutput(0, sbd),
                                                   "fence_history": ProbeOutput(0, history)})
    cib = parse_cib(cib_edit((VAGRANT / "node1.cib.txt").read_text()))
    return LabFacts(inventory, nodes, cib=cib,
                    status=parse_status((VAGRANT / "node1.status.txt").read_text()),
                    read_from="node1")


def configured(facts):
    from checker.checks import CHECKS

    return CHECKS["fencing_configured"].function(facts, {})


def test_sbd_as_the_vagrant_lab_has_it_passes():
    outcome = configured(vagrant_facts())
    assert outcome.status.value == "pass", outcome
    assert "sbd-fence (fence_sbd) em node1" in outcome.message


def test_the_typical_sbd_mistakes_each_have_their_message():
    def other_device(text):
        return text.replace('SBD_DEVICE="/dev/disk/by-path/', 'SBD_DEVICE="/dev/vdb', 1)

    cases = {
        "SBD_DEVICE difere entre os nós": vagrant_facts(node2=other_device),
        "Nenhum watchdog no kernel de node2": vagrant_facts(
            node2=lambda t: "\n".join(x for x in t.splitlines() if not x.startswith("watchdog"))),
        "O sbd não está rodando em node1": vagrant_facts(node1=lambda t: t.replace("\nrunning", "")),
        "não tem slot para node1": vagrant_facts(
            node2=lambda t: t.replace("l|1\tnode1\tclear\t\n", "")),
        "SBD_DEVICE não está em /etc/default/sbd em node1": vagrant_facts(
            node1=lambda t: "\n".join(x for x in t.splitlines() if "SBD_DEVICE" not in x
                                      and not x.startswith(("device", "d|", "l|")))),
        "O msgwait do disco (30 s) não cabe no stonith-timeout (30 s)": vagrant_facts(
            cib_edit=lambda c: c.replace('name="stonith-timeout" value="90s"',
                                         'name="stonith-timeout" value="30s"')),
        "stonith-enabled=false": vagrant_facts(
            cib_edit=lambda c: c.replace('name="stonith-enabled" value="true"',
                                         'name="stonith-enabled" value="false"')),
    }
    for expected, facts in cases.items():
        outcome = configured(facts)
        assert outcome.status.value == "fail" and expected in outcome.message, (expected, outcome)
        assert outcome.hint, expected


def test_the_sbd_probe_lists_the_kernels_watchdogs(tmp_path):
    """The device loop turns globbing off (paths from the node's own file); the watchdog
    loop needs it back on: run the probe with /sys/class/watchdog pointed at a fake one."""
    import subprocess

    from checker.probes import PROBES, build_script, parse_output

    fake = tmp_path / "watchdog" / "watchdog0"
    fake.mkdir(parents=True)
    (fake / "identity").write_text("Software Watchdog\n")
    script, marker = build_script([PROBES["sbd"]])
    script = script.replace("/sys/class/watchdog/", f"{tmp_path}/watchdog/")
    out = subprocess.run(["sh", "-s"], input=script, capture_output=True, text=True).stdout
    assert "watchdog\twatchdog0\tSoftware Watchdog" in parse_output(out, marker)["sbd"].text
