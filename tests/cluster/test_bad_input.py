"""Bad input and broken labs: a clear pt-BR message and a distinct exit code, never a traceback."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import TEST_SUBNET, Lab


def write_inventory(lab: Lab, path: Path, **overrides: str) -> Path:
    text = lab.inventory.read_text()
    for old, new in overrides.items():
        text = text.replace(old, new)
    path.write_text(text)
    return path


def test_unreachable_node_is_named_with_exit_3(clean_lab: Lab):
    clean_lab.nslab("stop-sshd", "node2")
    try:
        graded = clean_lab.labcheck("exercise2")
    finally:
        clean_lab.nslab("start-sshd", "node2")
    assert graded.code == 3
    assert any("node2" in p and "conexão recusada" in p for p in graded.json["problems"])
    # what could be read is still judged
    assert graded.status("cluster-online") == "pass"


def test_address_with_no_host_times_out_with_exit_3(lab: Lab, tmp_path: Path):
    inventory = write_inventory(lab, tmp_path / "inv.yaml",
                                **{f"{lab.address('node3')}}}": f"{TEST_SUBNET}.99}}"})
    graded = lab.labcheck("exercise2", "--timeout", "2", inventory=inventory, fmt="text")
    assert graded.code == 3
    assert "node3:" in graded.stdout and "Atenção" in graded.stdout


# RSA in PEM, as Vagrant's keys are: paramiko, given a file name, tried the other key types
# after the refusal and reported "encountered RSA key, expected OPENSSH key" instead.
@pytest.mark.parametrize("key_type", [["-t", "ed25519"], ["-t", "rsa", "-b", "2048", "-m", "PEM"]],
                         ids=["ed25519", "rsa-pem"])
def test_refused_key_exit_3(lab: Lab, tmp_path: Path, key_type: list[str]):
    key = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", *key_type, "-N", "", "-f", str(key)], check=True)
    inventory = write_inventory(lab, tmp_path / "inv.yaml",
                                **{str(lab.state / "id_ed25519"): str(key)})
    graded = lab.labcheck("exercise2", inventory=inventory)
    assert graded.code == 3
    assert any("autenticação recusada" in p for p in graded.json["problems"])


def test_unknown_host_key_names_the_option_then_accepts_it(lab: Lab, tmp_path: Path):
    known = tmp_path / "known_hosts"
    graded = lab.labcheck("exercise2", env={"LABCHECK_KNOWN_HOSTS": str(known)})
    assert graded.code == 3
    node_problems = [p for p in graded.json["problems"] if p.startswith("node")]
    assert len(node_problems) == 3
    assert all("--accept-new-host-keys" in p for p in node_problems)
    accepted = lab.labcheck("exercise2", "--accept-new-host-keys",
                            env={"LABCHECK_KNOWN_HOSTS": str(known)})
    assert accepted.code == 1  # graded: the lab is fresh, so steps fail
    assert len(known.read_text().splitlines()) == 3
    again = lab.labcheck("exercise2", env={"LABCHECK_KNOWN_HOSTS": str(known)})
    assert again.code == 1


def test_changed_host_key_is_refused(lab: Lab, tmp_path: Path):
    known = tmp_path / "known_hosts"
    shutil.copy(lab.known_hosts, known)
    key = tmp_path / "k"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    fake = key.with_suffix(".pub").read_text().split()[:2]
    node1 = lab.address("node1")
    lines = [line for line in known.read_text().splitlines() if not line.startswith(node1 + " ")]
    known.write_text("\n".join([*lines, f"{node1} {' '.join(fake)}"]) + "\n")
    graded = lab.labcheck("exercise2", "--accept-new-host-keys",
                          env={"LABCHECK_KNOWN_HOSTS": str(known)})
    assert graded.code == 3
    assert any("MUDOU" in p for p in graded.json["problems"])


def test_pacemaker_stopped_on_one_node(clean_lab: Lab):
    clean_lab.nslab("stop-node", "node2")
    try:
        graded = clean_lab.labcheck("exercise2")
    finally:
        clean_lab.nslab("start-node", "node2")
    assert graded.code == 1
    assert graded.status("cluster-online") == "fail"
    assert "node2 (Pacemaker parado nesse nó)" in graded.check("cluster-online")["message"]
    assert "pcs cluster start node2" in graded.check("cluster-online")["hint"]


def test_pacemaker_stopped_everywhere_exit_4(clean_lab: Lab):
    clean_lab.nslab("stop-node", "node1")
    clean_lab.nslab("stop-node", "node2")
    try:
        graded = clean_lab.labcheck("exercise2", fmt="text")
    finally:
        clean_lab.nslab("start-node", "node1")
        clean_lab.nslab("start-node", "node2")
    assert graded.code == 4
    assert "não foi possível ler o estado do cluster" in graded.stdout
    assert "pcs cluster start --all" in graded.stdout


@pytest.mark.parametrize(
    ("content", "fragment"),
    [("all: {children: [", "YAML inválido"), ("all:\n  children: {}\n", "grupo 'cluster'")],
)
def test_broken_inventory_exit_2(lab: Lab, tmp_path: Path, content: str, fragment: str):
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(content)
    graded = lab.labcheck("exercise2", inventory=inventory)
    assert graded.code == 2
    assert fragment in graded.stderr and graded.stdout == ""


def test_unknown_exercise_exit_2(lab: Lab):
    graded = lab.labcheck("exercise7")
    assert graded.code == 2
    assert "Exercício desconhecido" in graded.stderr


def test_truncated_cib_exit_2(lab: Lab, tmp_path: Path):
    cib = tmp_path / "cib.xml"
    full = lab.sh("node1", "cibadmin -Q").stdout
    cib.write_text(full[: len(full) // 2])
    graded = lab.labcheck("exercise2", "--cib", str(cib))
    assert graded.code == 2
    assert "truncado" in graded.stderr
