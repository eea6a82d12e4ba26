import subprocess
from pathlib import Path

import pytest

from checker.errors import InventoryError
from checker.inventory import load_inventory, parse_inventory, parse_vagrant_ssh_config

ISSUE_EXAMPLE = """
all:
  vars: {ansible_user: root, ansible_ssh_private_key_file: /path/key}
  children:
    cluster: {hosts: {node1: {ansible_host: 10.0.0.11}, node2: {ansible_host: 10.0.0.12}}}
    remote:  {hosts: {node3: {ansible_host: 10.0.0.13}}}
"""


def test_issue_example_is_read_with_roles_and_vars():
    inv = parse_inventory(ISSUE_EXAMPLE, "aluno.yaml")
    assert [h.name for h in inv.cluster_hosts] == ["node1", "node2"]
    assert [h.name for h in inv.remote_hosts] == ["node3"]
    node3 = inv.host("node3")
    assert (node3.address, node3.user, node3.key_file, node3.port) == (
        "10.0.0.13", "root", "/path/key", 22)
    assert not node3.become


def test_host_vars_override_group_and_all_vars(tmp_path: Path):
    text = """
all:
  vars: {ansible_user: root, ansible_port: 22}
  children:
    cluster:
      vars: {ansible_user: vagrant, ansible_become: yes}
      hosts:
        node1: {ansible_host: 10.0.0.11, ansible_port: 2222, ansible_ssh_private_key_file: keys/id}
"""
    path = tmp_path / "inv.yaml"
    path.write_text(text)
    (tmp_path / "keys").mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "keys/id")],
                   check=True)
    node1 = load_inventory(path).host("node1")
    assert node1.user == "vagrant" and node1.become and node1.port == 2222
    # relative key paths are taken from the inventory's folder
    assert node1.key_file == str(tmp_path / "keys/id")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("all: [unclosed", "YAML inválido"),
        ("- just\n- a list\n", "mapeamento"),
        ("all:\n  children:\n    remote: {hosts: {node3: {}}}\n", "nenhum host no grupo 'cluster'"),
        ("all:\n  children:\n    cluster: {hosts: {n1: {ansible_port: abc}}}\n", "ansible_port"),
        ("all:\n  children:\n    cluster: {hosts: {n1: {}}}\n    remote: {hosts: {n1: {}}}\n",
         "mais de um grupo"),
    ],
)
def test_broken_inventories_give_pt_br_messages(text: str, fragment: str):
    with pytest.raises(InventoryError) as err:
        parse_inventory(text, "ruim.yaml")
    assert fragment in str(err.value)
    assert "ruim.yaml" in str(err.value)


def test_missing_inventory_file(tmp_path: Path):
    with pytest.raises(InventoryError, match="não encontrado"):
        load_inventory(tmp_path / "nada.yaml")


# The shape `vagrant ssh-config` prints for vagrant-libvirt machines.
VAGRANT_SSH_CONFIG = """\
Host node1
  HostName 192.168.121.11
  User vagrant
  Port 22
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  PasswordAuthentication no
  IdentityFile /home/aluno/lab/.vagrant/machines/node1/libvirt/private_key
  IdentitiesOnly yes
  LogLevel FATAL

Host node3
  HostName 192.168.121.13
  User vagrant
  Port 22
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  IdentityFile /home/aluno/lab/.vagrant/machines/node3/libvirt/private_key
"""


def test_vagrant_ssh_config_becomes_an_inventory():
    inv = parse_vagrant_ssh_config(VAGRANT_SSH_CONFIG, "vagrant")
    node1 = inv.host("node1")
    assert node1.role == "cluster" and node1.become and not node1.verify_host_key
    assert node1.key_file.endswith("node1/libvirt/private_key")
    assert inv.host("node3").role == "remote"


def test_vagrant_inventory_round_trips_through_ansible_yaml():
    from checker.inventory import to_ansible_yaml

    inv = parse_vagrant_ssh_config(VAGRANT_SSH_CONFIG, "vagrant")
    again = parse_inventory(to_ansible_yaml(inv), "gerado.yaml")
    assert [(h.name, h.address, h.role, h.user, h.key_file, h.become) for h in again.hosts] == [
        (h.name, h.address, h.role, h.user, h.key_file, h.become) for h in inv.hosts]


# `vagrant status --machine-readable` on the Vagrant lab, while `vagrant up` was creating it.
VAGRANT_STATUS = """\
1795941307,node1,metadata,provider,libvirt
1795941353,node1,provider-name,libvirt
1795941353,node1,state,inaccessible
1795941353,node1,state-human-short,inaccessible
1795941365,node2,state,inaccessible
1795941378,node3,state,inaccessible
1795941381,,ui,info,Current machine states:\\n\\nnode1                     inaccessible (libvirt)
"""


# The same on the lab right after `virsh -c qemu:///system destroy vagrant_node2`.
VAGRANT_STATUS_NODE2_OFF = """\
1795947742,node1,state,running
1795947742,node2,state,shutoff
1795947742,node3,state,running
"""


def test_vagrant_status_after_a_node_is_powered_off():
    from checker.inventory import parse_vagrant_status

    assert parse_vagrant_status(VAGRANT_STATUS_NODE2_OFF)["node2"] == "shutoff"


def test_vagrant_status_gives_each_machine_state():
    from checker.inventory import parse_vagrant_status

    assert parse_vagrant_status(VAGRANT_STATUS) == {
        "node1": "inaccessible", "node2": "inaccessible", "node3": "inaccessible"}


def test_a_node_known_to_be_off_is_reported_without_connecting():
    from checker.errors import NodeError
    from checker.inventory import Host
    from checker.transport import NodeSession

    off = Host(name="node2", address="", role="cluster", down="a VM está desligada")
    with pytest.raises(NodeError, match="node2: a VM está desligada"):
        NodeSession.connect(off, timeout=0.1)


def test_no_lab_message_is_ptbr_without_vagrants_cut_english(tmp_path: Path, monkeypatch):
    """A vagrant/ folder whose machines are not created: the message says so in pt-BR and
    how to see more, instead of the tail of vagrant's own English text."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "vagrant"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = status ]; then\n'
        "  echo '1,node1,state,not_created'; echo '1,node2,state,not_created'; exit 0\n"
        "fi\n"
        "echo 'The provider for this Vagrant-managed machine is reporting that it is not yet"
        " ready for SSH. Depending on your provider this can carry different meanings.' >&2\n"
        "exit 1\n")
    fake.chmod(0o755)
    (tmp_path / "Vagrantfile").write_text("")
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    from checker.inventory import vagrant_inventory

    with pytest.raises(InventoryError) as error:
        vagrant_inventory(tmp_path)
    message = str(error.value)
    assert "Nenhum laboratório encontrado" in message
    assert "node1 (a VM não foi criada" in message and "vagrant status" in message
    assert "provider" not in message and "meanings" not in message
