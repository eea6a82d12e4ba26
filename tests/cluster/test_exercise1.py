"""Exercise 1 on the namespace cluster. It has no libvirt guests, so the VM steps that
need a running VM are exercised through the same checks with the migratable
ocf:pacemaker:Dummy agent in their parameters (a definition made for the test)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, Lab

VM_RESOURCE = ("pcs resource create vm1 ocf:heartbeat:VirtualDomain config=/etc/pacemaker/vm1.xml"
               " hypervisor=qemu:///system migration_transport=ssh op monitor interval=30s"
               " meta allow-migrate=true --disabled")
DISK = "/var/tmp/labcheck-test-vm1.qcow2"
DOMAIN_XML = f"""<domain type='qemu'>
  <name>vm1</name>
  <memory unit='MiB'>64</memory>
  <devices><disk type='file' device='disk'><source file='{DISK}'/></disk></devices>
</domain>
"""




def test_ssh_without_host_keys_then_without_authorized_keys_then_solved(clean_lab: Lab):
    graded = clean_lab.labcheck("exercise1")
    assert graded.status("ssh-between-hosts") == "fail"
    assert "Host key verification failed" in graded.check("ssh-between-hosts")["message"]
    assert "aceite a chave de host" in graded.check("ssh-between-hosts")["hint"]

    for node, peer in (("node1", "node2"), ("node2", "node1")):
        clean_lab.sh(node, "ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/id_ed25519 && "
                           f"ssh-keyscan -t ed25519 {peer} >> /root/.ssh/known_hosts 2>/dev/null")
    graded = clean_lab.labcheck("exercise1")
    assert "Permission denied" in graded.check("ssh-between-hosts")["message"]
    assert "ssh-copy-id" in graded.check("ssh-between-hosts")["hint"]

    clean_lab.solve("exercise1")
    graded = clean_lab.labcheck("exercise1")
    assert graded.status("ssh-between-hosts") == "pass"
    assert "node1 ↔ node2" in graded.check("ssh-between-hosts")["message"]


def test_virtualdomain_resource_as_the_lesson_teaches(clean_lab: Lab):
    clean_lab.sh("node1", VM_RESOURCE)
    graded = clean_lab.labcheck("exercise1")
    assert graded.status("vm-resource") == "pass", graded.check("vm-resource")
    assert graded.status("vm-config-everywhere") == "fail"
    # a stopped VM is not "running on exactly one node"
    assert graded.status("vm-running") == "fail"


def test_source_lesson_virtualdomain_form_is_explained(clean_lab: Lab):
    clean_lab.sh("node1", "pcs resource create vm1 ocf:heartbeat:VirtualDomain domain=vm1 "
                          "hypervisor_uri=qemu:///system migration_transport=ssh "
                          "op monitor interval=30s --force --disabled")
    check = clean_lab.labcheck("exercise1").check("vm-resource")
    assert check["status"] == "fail"
    assert "falta config=" in check["message"]
    assert "domain= não existe" in check["message"] and "hypervisor_uri=" in check["message"]


def test_missing_allow_migrate_and_monitor(clean_lab: Lab):
    clean_lab.sh("node1", "pcs resource create vm1 ocf:heartbeat:VirtualDomain "
                          "config=/etc/pacemaker/vm1.xml hypervisor=qemu:///system "
                          "migration_transport=ssh --disabled")
    message = clean_lab.labcheck("exercise1").check("vm-resource")["message"]
    assert "allow-migrate=true ausente" in message and "monitor a cada 30s ausente" in message


def test_domain_xml_and_disk_on_every_node(clean_lab: Lab):
    clean_lab.sh("node1", VM_RESOURCE)
    clean_lab.sh("node1", f"cat > /etc/pacemaker/vm1.xml <<'EOF'\n{DOMAIN_XML}EOF")
    check = clean_lab.labcheck("exercise1").check("vm-config-everywhere")
    assert check["status"] == "fail" and "ausente em node2" in check["message"]

    clean_lab.sh("node2", f"cat > /etc/pacemaker/vm1.xml <<'EOF'\n{DOMAIN_XML}EOF")
    check = clean_lab.labcheck("exercise1").check("vm-config-everywhere")
    assert check["status"] == "fail" and f"disco {DISK} ausente" in check["message"]

    Path(DISK).touch()  # one file every node sees: the namespace lab's "shared storage"
    try:
        check = clean_lab.labcheck("exercise1").check("vm-config-everywhere")
    finally:
        Path(DISK).unlink()
    assert check["status"] == "pass", check


@pytest.fixture
def dummy_labs(tmp_path: Path) -> dict[str, str]:
    """exercise1 with the VM steps pointed at ocf:pacemaker:Dummy."""
    definition = yaml.safe_load((ROOT / "labs" / "exercise1.yaml").read_text())
    for step in definition["steps"]:
        if step["id"] in {"vm-running", "vm-moved"}:
            step["params"] = {"agent": "ocf:pacemaker:Dummy"}
    (tmp_path / "exercise1.yaml").write_text(yaml.safe_dump(definition, allow_unicode=True))
    return {"LABCHECK_LABS_DIR": str(tmp_path)}


def _where(lab: Lab, resource: str) -> str:
    out = lab.sh("node1", f"crm_resource --locate -r {resource}").stdout
    return out.rsplit(":", 1)[1].strip()


def test_running_once_then_live_migrated(clean_lab: Lab, dummy_labs):
    clean_lab.sh("node1", "pcs resource create d1 ocf:pacemaker:Dummy meta allow-migrate=true"
                          " && crm_resource --wait --timeout=60s")
    graded = clean_lab.labcheck("exercise1", env=dummy_labs)
    assert graded.status("vm-running") == "pass"
    assert graded.status("vm-moved") == "fail"

    other = "node2" if _where(clean_lab, "d1") == "node1" else "node1"
    clean_lab.sh("node1", f"pcs resource move d1 {other} && crm_resource --wait --timeout=60s")
    graded = clean_lab.labcheck("exercise1", env=dummy_labs)
    assert graded.status("vm-moved") == "pass"
    assert "migrado ao vivo" in graded.check("vm-moved")["message"]
    # pcs 0.11 removes the constraint it used for the move
    assert graded.status("no-leftover-constraints") == "pass"


def test_after_the_host_is_powered_off_the_move_must_be_done_again(clean_lab: Lab, dummy_labs):
    """Steps 7 and 8 of the exercise: the host the VM migrated to loses power, the VM is
    started on the survivor, the host comes back. Pacemaker then drops the migration
    records (the dead host's history goes with it), so the grader asks for the failback
    migration of step 8, and counts it."""
    clean_lab.sh("node1", "pcs resource create d1 ocf:pacemaker:Dummy meta allow-migrate=true"
                          " && crm_resource --wait --timeout=60s")
    source = _where(clean_lab, "d1")
    target = "node2" if source == "node1" else "node1"
    clean_lab.sh(source, f"pcs resource move d1 {target} && crm_resource --wait --timeout=60s")
    clean_lab.nslab("crash-node", target)
    # the survivor notices only after corosync's token timeout
    clean_lab.sh(source, f"for i in $(seq 60); do crm_mon -1 | grep -q 'OFFLINE: \\[ {target}'"
                         " && break; sleep 1; done; crm_resource --wait --timeout=60s")
    assert _where(clean_lab, "d1") == source
    graded = clean_lab.labcheck("exercise1", env=dummy_labs)
    assert graded.status("cluster-online") == "fail"
    assert graded.status("vm-running") == "pass"

    clean_lab.nslab("start-node", target)
    clean_lab.sh(source, "crm_resource --wait --timeout=60s")
    assert _where(clean_lab, "d1") == source  # no failback on its own
    graded = clean_lab.labcheck("exercise1", env=dummy_labs)
    assert graded.status("cluster-online") == "pass"
    assert graded.status("vm-running") == "pass"
    moved = graded.check("vm-moved")
    assert moved["status"] == "fail"
    assert "pcs resource move vm1 node2" in moved["hint"]

    clean_lab.sh(source, f"pcs resource move d1 {target} && crm_resource --wait --timeout=60s")
    graded = clean_lab.labcheck("exercise1", env=dummy_labs)
    assert graded.status("vm-moved") == "pass"
    assert f"({source} → {target})" in graded.check("vm-moved")["message"]


def test_moved_without_migration_and_leftover_constraint_warns(clean_lab: Lab, dummy_labs):
    clean_lab.sh("node1", "pcs resource create d1 ocf:pacemaker:Dummy"
                          " && crm_resource --wait --timeout=60s")
    other = "node2" if _where(clean_lab, "d1") == "node1" else "node1"
    # the pcs 0.10 behaviour, still available in 0.11
    clean_lab.sh("node1", f"pcs resource move-with-constraint d1 {other}"
                          " && crm_resource --wait --timeout=60s")
    graded = clean_lab.labcheck("exercise1", env=dummy_labs)
    assert graded.status("vm-moved") == "pass"
    assert "já rodou em mais de um nó" in graded.check("vm-moved")["message"]
    leftover = graded.check("no-leftover-constraints")
    assert leftover["status"] == "fail" and not leftover["required"]
    assert "pcs resource clear d1" in leftover["hint"]


def test_a_failed_warning_step_does_not_fail_the_exercise(clean_lab: Lab, tmp_path: Path):
    definition = yaml.safe_load((ROOT / "labs" / "exercise1.yaml").read_text())
    definition["steps"] = [s for s in definition["steps"]
                           if s["id"] in {"cluster-online", "no-leftover-constraints"}]
    (tmp_path / "exercise1.yaml").write_text(yaml.safe_dump(definition, allow_unicode=True))
    clean_lab.sh("node1", "pcs resource create d1 ocf:pacemaker:Dummy && "
                          "pcs resource ban d1 node1 && crm_resource --wait --timeout=60s")
    graded = clean_lab.labcheck("exercise1", env={"LABCHECK_LABS_DIR": str(tmp_path)}, fmt="text")
    assert graded.code == 0
    assert "⚠" in graded.stdout and "APROVADO" in graded.stdout


def test_the_solution_fences_the_crash_and_reset_forgets_it(clean_lab: Lab, tmp_path: Path):
    """Steps 1 and 7 on the namespace lab: fence_nslab, then a crash the cluster fences."""
    home = {"HOME": str(tmp_path)}  # reset's backups go under ~/.local/state
    assert clean_lab.labcheck("start", "exercise1", fmt="", env=home).code == 0
    graded = clean_lab.labcheck("exercise1")
    assert graded.status("fencing") == "fail"
    assert "fence_nslab" in graded.check("fencing")["hint"]
    assert graded.status("crash-fenced") == "fail"
    assert "crash-node node2" in graded.check("crash-fenced")["hint"]

    clean_lab.solve("exercise1")  # creates fence-lab and crashes node2
    graded = clean_lab.labcheck("exercise1")
    assert graded.status("fencing") == "pass", graded.check("fencing")
    assert "fence-lab (fence_nslab)" in graded.check("fencing")["message"]
    assert graded.status("crash-fenced") == "pass", graded.check("crash-fenced")
    assert "O cluster cercou node2 sozinho" in graded.check("crash-fenced")["message"]

    reset = clean_lab.labcheck("reset", "exercise1", "--yes", fmt="", env=home)
    assert reset.code == 0, reset.stdout
    assert "fence-lab" in reset.stdout  # listed among what goes
    graded = clean_lab.labcheck("exercise1")
    assert graded.status("fencing") == "fail"  # stonith-enabled=false again, no device
    assert graded.status("crash-fenced") == "fail"
    assert "Nenhum fencing" in graded.check("crash-fenced")["message"]
    assert "0 events found" in clean_lab.sh("node2", "stonith_admin --history '*'").stdout
