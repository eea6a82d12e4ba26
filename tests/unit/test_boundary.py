"""The trust boundary: what a student's node or inventory sends is bounded, validated, cleaned."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from checker.boundary import (
    bounded_int,
    clean_line,
    clean_text,
    decode_node_output,
    host_problem,
    port_value,
    safe_filename,
    user_problem,
)
from checker.errors import InventoryError
from checker.inventory import load_inventory, parse_inventory, parse_vagrant_ssh_config

HOSTILE = "\x1b]0;TITLE\x07\x1b[2J\x1b[31mFAKE: APROVADO 100/100\x9b31m\u202e\ufffe"


def test_control_characters_are_removed_but_newline_and_tab_stay():
    assert clean_text(HOSTILE + "\nnext\tcol\r\n") == (
        "]0;TITLE[2J[31mFAKE: APROVADO 100/10031m\nnext\tcol\n")
    assert clean_line("a\nb\tc\x1b") == "a b c"
    assert decode_node_output(b"ok \xff\x1b[2J") == "ok \ufffd[2J"
    assert clean_text("plain text: já, ação ✔") == "plain text: já, ação ✔"


@pytest.mark.parametrize(("text", "low", "high", "expected"), [
    ("42", None, None, 42), (" -7 ", None, None, -7), ("1" * 18, None, None, int("1" * 18)),
    ("1" * 19, None, None, None), ("1" + "0" * 5000, None, None, None), ("12a", None, None, None),
    ("²", None, None, None), ("٣", None, None, None), (None, None, None, None),
    ("70000", 1, 65535, None), ("0", 1, 65535, None), (True, None, None, None), (22, 1, 65535, 22),
])
def test_bounded_int(text, low, high, expected):
    assert bounded_int(text, low, high) == expected


@pytest.mark.parametrize("name", ["node1", "node-1.lab", "10.0.0.11", "fe80::1", "n_1", "a" * 63])
def test_plain_host_names_pass(name):
    assert host_problem(name) is None


@pytest.mark.parametrize("name", [
    "-oProxyCommand=hostname>>/tmp/pwned", "../../../../tmp/x", "a b", "a/b", "", "a;b", "$(id)",
    "node1\n", "\x1b[31m", "-node", "a" * 300, [1, 2], None, {"a": 1}, True, "a..b",
])
def test_hostile_host_names_are_refused(name):
    assert host_problem(name)


def test_ports_and_users():
    assert port_value(22) == (22, None) and port_value("2222") == (2222, None)
    for bad in (70000, -1, 0, 22.7, "22.7", "ssh", [22], True, 10**5000):
        assert port_value(bad)[0] is None and "1 a 65535" in port_value(bad)[1]
    assert user_problem("vagrant") is None and user_problem("aluno.silva") is None
    for bad in ("-oProxyCommand=x", "a b", "root\n", "", ["root"], "x" * 40):
        assert user_problem(bad)


def test_safe_filename_never_leaves_its_folder():
    for name in ("../../../../tmp/x", "/etc/passwd", "..", ".", "-rf", "a/../../b", "\x00"):
        assert "/" not in safe_filename(name) and not safe_filename(name).startswith((".", "-"))


INVENTORY = """
all:
  children:
    cluster:
      hosts:
        node1: {{ansible_host: 10.0.0.11{extra}}}
"""


@pytest.mark.parametrize(("extra", "field", "fragment"), [
    (", ansible_port: 70000", "ansible_port", "1 a 65535"),
    (", ansible_port: -1", "ansible_port", "1 a 65535"),
    (", ansible_port: 22.7", "ansible_port", "1 a 65535"),
    (", ansible_port: " + "9" * 5000, "", "número"),
    (", ansible_user: '-oProxyCommand=x'", "ansible_user", "usuário"),
    (", ansible_ssh_private_key_file: [a]", "ansible_ssh_private_key_file", "caminho"),
])
def test_inventory_values_are_validated_naming_host_and_field(extra, field, fragment):
    with pytest.raises(InventoryError) as error:
        parse_inventory(INVENTORY.format(extra=extra), "aluno.yaml")
    assert fragment in str(error.value) and field in str(error.value)
    if field:
        assert "host node1" in str(error.value)


def test_inventory_host_names_and_addresses_are_validated():
    text = INVENTORY.format(extra="").replace("node1:", "'-oProxyCommand=hostname>>/tmp/pwned':")
    with pytest.raises(InventoryError, match="nome de host inválido"):
        parse_inventory(text, "aluno.yaml")
    text = INVENTORY.format(extra="").replace("10.0.0.11", "[1, 2]")
    with pytest.raises(InventoryError, match="host node1, ansible_host: deveria ser"):
        parse_inventory(text, "aluno.yaml")
    text = INVENTORY.format(extra="").replace("node1:", "'../../../../tmp/x':")
    with pytest.raises(InventoryError, match="nome de host inválido"):
        parse_inventory(text, "aluno.yaml")


def test_key_file_must_be_a_readable_private_key(tmp_path: Path):
    key = tmp_path / "id"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    not_a_key = tmp_path / "notes.txt"
    not_a_key.write_text("hello\n")
    with_passphrase = tmp_path / "locked"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "secret", "-f",
                    str(with_passphrase)], check=True)
    cases = {str(key): None, str(tmp_path / "missing"): "não existe", str(tmp_path): "não é um arquivo",
             str(not_a_key): "não é uma chave privada", str(with_passphrase): "tem senha"}
    for path, fragment in cases.items():
        inventory = tmp_path / "inv.yaml"
        inventory.write_text(INVENTORY.format(extra=f", ansible_ssh_private_key_file: '{path}'"))
        if fragment is None:
            assert load_inventory(inventory).host("node1").key_file == path
            continue
        with pytest.raises(InventoryError) as error:
            load_inventory(inventory)
        assert fragment in str(error.value)
        assert "host node1, ansible_ssh_private_key_file" in str(error.value)


def test_non_utf8_inventory_gets_a_ptbr_message(tmp_path: Path):
    path = tmp_path / "inv.yaml"
    path.write_bytes(b"all:\n  children: {}\n# \xe9\xff\n")
    with pytest.raises(InventoryError, match=r"não é texto UTF-8 .*linha 3"):
        load_inventory(path)


def test_huge_inventory_is_refused_without_reading_it_all(tmp_path: Path):
    path = tmp_path / "inv.yaml"
    path.write_bytes(b"#" * (2 * 1024 * 1024))
    with pytest.raises(InventoryError, match="passa de 1 MiB"):
        load_inventory(path)


def test_vagrant_ssh_config_is_validated_like_an_inventory():
    config = ("Host node1\n  HostName -oProxyCommand=x\n  User vagrant\n  Port 22\n")
    with pytest.raises(InventoryError, match="ansible_host"):
        parse_vagrant_ssh_config(config, "vagrant ssh-config")
