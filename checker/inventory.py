"""Where the lab's nodes are: an Ansible-style YAML inventory, or the Vagrant lab.

Instructors already keep Ansible inventories, so labcheck reads that format:
the `cluster` group holds the corosync/pacemaker nodes and the `remote` group the
Pacemaker Remote nodes. Variables are taken from the host, then its group, then `all`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import paramiko
import yaml

from checker.boundary import (
    MAX_HOSTS_PER_INVENTORY,
    MAX_INVENTORY_BYTES,
    clean_line,
    host_problem,
    port_value,
    printable,
    read_untrusted_file,
    user_problem,
)
from checker.errors import InventoryError
from checker.yamlfile import load_yaml

ROLES = ("cluster", "remote")
ENV_INVENTORY = "LABCHECK_INVENTORY"
DEFAULT_VAGRANT_DIR = Path(__file__).resolve().parent.parent / "vagrant"
# Vagrant machines that are Pacemaker Remote nodes rather than cluster members.
VAGRANT_REMOTE_NODES = frozenset({"node3"})


@dataclass(frozen=True)
class Host:
    name: str
    address: str
    role: str
    port: int = 22
    user: str = "root"
    key_file: str | None = None
    become: bool = False
    # False only where the source says so (vagrant ssh-config: StrictHostKeyChecking no).
    verify_host_key: bool = True
    # Set when the source already knows the node is off (a Vagrant VM that is not running):
    # the reason is reported as the node's error and no connection is tried.
    down: str | None = None


@dataclass(frozen=True)
class Inventory:
    source: str
    hosts: tuple[Host, ...]

    @property
    def cluster_hosts(self) -> tuple[Host, ...]:
        return tuple(h for h in self.hosts if h.role == "cluster")

    @property
    def remote_hosts(self) -> tuple[Host, ...]:
        return tuple(h for h in self.hosts if h.role == "remote")

    def host(self, name: str) -> Host:
        for h in self.hosts:
            if h.name == name:
                return h
        raise KeyError(name)


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on", "sim"}


def _mapping(value: Any, where: str, source: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InventoryError(
            f"Inventário {source}: '{printable(where)}' deveria ser um mapeamento (chave: valor), "
            f"mas é {type(value).__name__}."
        )
    return value


def _field_error(source: str, host: str, field: str, why: str) -> InventoryError:
    return InventoryError(f"Inventário {source}: host {printable(host)}, {field}: {why}.")


MAX_KEY_FILE_BYTES = 64 * 1024


def load_private_key(path: Path) -> tuple[paramiko.PKey | None, str | None]:
    """(the SSH private key at `path`, None), or (None, why it cannot serve as one)."""
    try:
        if not path.exists():
            return None, f"o arquivo {path} não existe"
        if not path.is_file():
            return None, f"{path} não é um arquivo"
        if path.stat().st_size > MAX_KEY_FILE_BYTES:
            return None, f"{path} é grande demais para ser uma chave privada"
        return paramiko.PKey.from_path(path), None
    except (paramiko.PasswordRequiredException, TypeError):
        # cryptography raises TypeError for an OpenSSH-format key with a passphrase
        return None, f"a chave {path} tem senha; use uma chave sem senha para o labcheck"
    except PermissionError:
        return None, f"sem permissão para ler {path}"
    except (OSError, ValueError, paramiko.SSHException) as exc:
        return None, f"{path} não é uma chave privada SSH ({printable(type(exc).__name__)})"


def key_file_problem(path: Path) -> str | None:
    """Why `path` cannot serve as an SSH private key, or None when it can."""
    return load_private_key(path)[1]


def _host_from_vars(name: object, role: str, variables: dict[str, Any], source: str) -> Host:
    """One host, every value validated: a student's inventory is untrusted (boundary.py)."""
    shown = str(name)
    problem = host_problem(name)
    if problem:
        raise InventoryError(f"Inventário {source}: nome de host inválido: {problem}.")
    address = variables.get("ansible_host", name)
    problem = host_problem(address)
    if problem:
        raise _field_error(source, shown, "ansible_host", problem)
    port, problem = port_value(variables.get("ansible_port", 22))
    if problem or port is None:
        raise _field_error(source, shown, "ansible_port", problem or "inválida")
    user = variables.get("ansible_user", "root")
    problem = user_problem(user)
    if problem:
        raise _field_error(source, shown, "ansible_user", problem)
    key = variables.get("ansible_ssh_private_key_file")
    if key is not None:
        if not isinstance(key, str) or not key.strip() or "\x00" in key:
            raise _field_error(source, shown, "ansible_ssh_private_key_file",
                               "deveria ser o caminho de um arquivo")
        key_path = Path(os.path.expanduser(key))
        if not key_path.is_absolute():
            key_path = Path(source).resolve().parent / key_path
        key = str(key_path)  # that it is a usable key is checked by check_key_files
    return Host(
        name=str(name),
        address=str(address),
        role=role,
        port=port,
        user=str(user),
        key_file=key,
        become=_truthy(variables.get("ansible_become", False)),
    )


def parse_inventory(text: str, source: str) -> Inventory:
    """Parse Ansible YAML inventory text; `source` names it in messages."""
    data = load_yaml(text, f"Inventário {source}", InventoryError)
    root = _mapping(data, "raiz", source)
    top = _mapping(root.get("all", root), "all", source)
    all_vars = _mapping(top.get("vars"), "all.vars", source)
    children = _mapping(top.get("children", top if "all" not in root else {}), "children", source)

    hosts: list[Host] = []
    seen: set[str] = set()
    for role in ROLES:
        group = _mapping(children.get(role), f"children.{role}", source)
        group_vars = _mapping(group.get("vars"), f"{role}.vars", source)
        for name, host_vars in _mapping(group.get("hosts"), f"{role}.hosts", source).items():
            if name in seen:
                raise InventoryError(
                    f"Inventário {source}: o host {name} aparece em mais de um grupo."
                )
            seen.add(name)
            if len(hosts) >= MAX_HOSTS_PER_INVENTORY:
                raise InventoryError(f"Inventário {source}: mais de {MAX_HOSTS_PER_INVENTORY} "
                                     "hosts; um laboratório tem poucos nós.")
            merged = {**all_vars, **group_vars, **_mapping(host_vars, str(name), source)}
            hosts.append(_host_from_vars(name, role, merged, source))
    if not any(h.role == "cluster" for h in hosts):
        raise InventoryError(
            f"Inventário {source}: nenhum host no grupo 'cluster'. "
            "Declare os nós do cluster em all.children.cluster.hosts."
        )
    return Inventory(source=source, hosts=tuple(hosts))


def load_inventory(path: str | os.PathLike[str]) -> Inventory:
    p = Path(path)
    source = clean_line(str(p))  # a student's file name: shown in every report
    data = read_untrusted_file(p, MAX_INVENTORY_BYTES, "Inventário", InventoryError)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InventoryError(f"Inventário {source}: não é texto UTF-8 (byte inválido na "
                             f"linha {line}). Salve o arquivo como UTF-8.") from None
    return check_key_files(parse_inventory(text, source))


def check_key_files(inventory: Inventory) -> Inventory:
    """Every private key the inventory names exists, is readable and is a key (exit 2)."""
    checked: dict[str, str | None] = {}
    for host in inventory.hosts:
        if host.key_file is None or host.down:
            continue
        if host.key_file not in checked:
            checked[host.key_file] = key_file_problem(Path(host.key_file))
        problem = checked[host.key_file]
        if problem:
            raise _field_error(inventory.source, host.name, "ansible_ssh_private_key_file",
                               problem)
    return inventory


def _vagrant_role(name: str) -> str:
    return "remote" if name in VAGRANT_REMOTE_NODES else "cluster"


def _ssh_config_hosts(text: str, source: str = "vagrant ssh-config") -> list[Host]:
    """Hosts from `vagrant ssh-config`, validated like an inventory's: a student's
    Vagrantfile decides what it prints."""
    config = paramiko.SSHConfig.from_text(text)
    hosts = []
    for name in sorted(h for h in config.get_hostnames() if h != "*"):
        entry = config.lookup(name)
        keys = entry.get("identityfile") or []
        variables: dict[str, Any] = {"ansible_host": entry.get("hostname", name),
                                     "ansible_port": entry.get("port", 22),
                                     "ansible_user": entry.get("user", "vagrant")}
        if keys:
            variables["ansible_ssh_private_key_file"] = keys[0]
        host = _host_from_vars(name, _vagrant_role(name), variables, source)
        hosts.append(replace(host, become=host.user != "root",
                             verify_host_key=entry.get("stricthostkeychecking", "yes") != "no"))
    return hosts


def parse_vagrant_ssh_config(text: str, source: str) -> Inventory:
    hosts = _ssh_config_hosts(text, source)
    if not any(h.role == "cluster" for h in hosts):
        raise InventoryError(f"{source}: vagrant ssh-config não listou nenhum nó do cluster.")
    return Inventory(source=source, hosts=tuple(hosts))


# vagrant-libvirt's machine states, as students read them.
VAGRANT_STATES_PT = {"shutoff": "a VM está desligada", "not_created": "a VM não foi criada",
                     "paused": "a VM está pausada",
                     "inaccessible": "a VM está inacessível para o libvirt",
                     "preparing": "a VM está sendo criada"}


def parse_vagrant_status(text: str) -> dict[str, str]:
    """Machine name -> state from `vagrant status --machine-readable`."""
    states = {}
    for line in text.splitlines():
        fields = line.split(",", 3)
        if len(fields) == 4 and fields[2] == "state" and fields[1]:
            states[fields[1]] = fields[3].strip()
    return states


def _vagrant(args: list[str], vagrant_dir: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["vagrant", *args], cwd=vagrant_dir, capture_output=True,
                              text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InventoryError(f"vagrant {args[0]} falhou: {exc}") from None


def vagrant_inventory(vagrant_dir: Path = DEFAULT_VAGRANT_DIR) -> Inventory:
    no_lab = (
        "Nenhum laboratório encontrado. Use --inventory ARQUIVO, defina "
        f"{ENV_INVENTORY}, ou suba o laboratório Vagrant (cd vagrant && vagrant up). "
        "O laboratório em namespaces cria o seu inventário com: labs/nslab/nslab up"
    )
    if not (vagrant_dir / "Vagrantfile").exists() or shutil.which("vagrant") is None:
        raise InventoryError(no_lab)
    source = f"vagrant ssh-config ({vagrant_dir})"
    run = _vagrant(["ssh-config"], vagrant_dir)
    if run.returncode == 0 and "HostName" in run.stdout:
        return check_key_files(parse_vagrant_ssh_config(run.stdout, source))
    # `vagrant ssh-config` stops at the first machine that cannot take SSH (a student who
    # just powered node2 off with `virsh destroy`, or a VM still booting). Report those as off
    # and read the others, instead of "no lab".
    states = parse_vagrant_status(_vagrant(["status", "--machine-readable"], vagrant_dir).stdout)
    hosts = [Host(name=name, address="", role=_vagrant_role(name),
                  down=f"{VAGRANT_STATES_PT.get(state, f'a VM está no estado {clean_line(state)}')} "
                       "(vagrant status);"
                       f" suba-a com: vagrant up {name}")
             for name, state in states.items() if state != "running"]
    pending = [name for name, state in states.items() if state == "running"]
    while pending:
        run = _vagrant(["ssh-config", *pending], vagrant_dir)
        read = _ssh_config_hosts(run.stdout, source)
        hosts += read
        rest = [name for name in pending if name not in {h.name for h in read}]
        if run.returncode == 0 or not rest:
            break
        # the machines are answered in order: the first one missing is the one that failed
        hosts.append(Host(name=rest[0], address="", role=_vagrant_role(rest[0]),
                          down="a VM está ligada, mas ainda não aceita SSH (vagrant ssh-config);"
                               " espere o boot terminar"))
        pending = rest[1:]
    if not any(h.role == "cluster" and not h.down for h in hosts):
        # vagrant's own English text, cut at an arbitrary point, helped nobody: say what
        # was seen and how to see the rest
        seen = ", ".join(f"{h.name} ({h.down.split(' (')[0]})" for h in hosts if h.down)
        raise InventoryError(no_lab + (f" Máquinas do laboratório em {vagrant_dir}: {seen}."
                                       if seen else "")
                             + f" Para ver o motivo: cd {vagrant_dir} && vagrant status")
    return check_key_files(Inventory(source=source, hosts=tuple(sorted(hosts, key=lambda h: h.name))))


def to_ansible_yaml(inventory: Inventory) -> str:
    """The inventory in the Ansible YAML form labcheck reads (for `labcheck inventory`)."""
    children: dict[str, Any] = {}
    for role in ROLES:
        hosts = {}
        for h in inventory.hosts:
            if h.role != role:
                continue
            entry: dict[str, Any] = {"ansible_host": h.address, "ansible_user": h.user}
            if h.port != 22:
                entry["ansible_port"] = h.port
            if h.key_file:
                entry["ansible_ssh_private_key_file"] = h.key_file
            if h.become:
                entry["ansible_become"] = True
            hosts[h.name] = entry
        if hosts:
            children[role] = {"hosts": hosts}
    header = f"# labcheck: gerado de {inventory.source}\n"
    return header + yaml.safe_dump({"all": {"children": children}}, sort_keys=False,
                                   allow_unicode=True)


def resolve_inventory(path: str | None) -> Inventory:
    """--inventory, else $LABCHECK_INVENTORY, else the Vagrant lab."""
    chosen = path or os.environ.get(ENV_INVENTORY)
    if chosen:
        return load_inventory(chosen)
    return vagrant_inventory()
