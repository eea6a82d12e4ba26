"""Where the lab's nodes are: an Ansible-style YAML inventory, or the Vagrant lab.

Instructors already keep Ansible inventories, so labcheck reads that format:
the `cluster` group holds the corosync/pacemaker nodes and the `remote` group the
Pacemaker Remote nodes. Variables are taken from the host, then its group, then `all`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
import yaml

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
            f"Inventário {source}: '{where}' deveria ser um mapeamento (chave: valor), "
            f"mas é {type(value).__name__}."
        )
    return value


def _host_from_vars(name: str, role: str, variables: dict[str, Any], source: str) -> Host:
    address = variables.get("ansible_host", name)
    try:
        port = int(variables.get("ansible_port", 22))
    except (TypeError, ValueError):
        raise InventoryError(
            f"Inventário {source}: ansible_port do host {name} não é um número: "
            f"{variables.get('ansible_port')!r}."
        ) from None
    key = variables.get("ansible_ssh_private_key_file")
    if key is not None:
        key_path = Path(os.path.expanduser(str(key)))
        if not key_path.is_absolute():
            key_path = Path(source).resolve().parent / key_path
        key = str(key_path)
    return Host(
        name=str(name),
        address=str(address),
        role=role,
        port=port,
        user=str(variables.get("ansible_user", "root")),
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
            merged = {**all_vars, **group_vars, **_mapping(host_vars, str(name), source)}
            hosts.append(_host_from_vars(str(name), role, merged, source))
    if not any(h.role == "cluster" for h in hosts):
        raise InventoryError(
            f"Inventário {source}: nenhum host no grupo 'cluster'. "
            "Declare os nós do cluster em all.children.cluster.hosts."
        )
    return Inventory(source=source, hosts=tuple(hosts))


def load_inventory(path: str | os.PathLike[str]) -> Inventory:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InventoryError(f"Inventário não encontrado: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(f"Não foi possível ler o inventário {p}: {exc}") from None
    return parse_inventory(text, str(p))


def _vagrant_role(name: str) -> str:
    return "remote" if name in VAGRANT_REMOTE_NODES else "cluster"


def _ssh_config_hosts(text: str) -> list[Host]:
    config = paramiko.SSHConfig.from_text(text)
    hosts = []
    for name in sorted(h for h in config.get_hostnames() if h != "*"):
        entry = config.lookup(name)
        keys = entry.get("identityfile") or []
        hosts.append(
            Host(
                name=name,
                address=entry.get("hostname", name),
                role=_vagrant_role(name),
                port=int(entry.get("port", 22)),
                user=entry.get("user", "vagrant"),
                key_file=keys[0] if keys else None,
                become=entry.get("user", "vagrant") != "root",
                verify_host_key=entry.get("stricthostkeychecking", "yes") != "no",
            )
        )
    return hosts


def parse_vagrant_ssh_config(text: str, source: str) -> Inventory:
    hosts = _ssh_config_hosts(text)
    if not any(h.role == "cluster" for h in hosts):
        raise InventoryError(f"{source}: vagrant ssh-config não listou nenhum nó do cluster.")
    return Inventory(source=source, hosts=tuple(hosts))


# vagrant-libvirt's machine states, as students read them.
VAGRANT_STATES_PT = {"shutoff": "desligada", "not_created": "não criada", "paused": "pausada",
                     "inaccessible": "inacessível para o libvirt", "preparing": "sendo criada"}


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
        return parse_vagrant_ssh_config(run.stdout, source)
    # `vagrant ssh-config` stops at the first machine that cannot take SSH (a student who
    # just powered node2 off with `virsh destroy`, or a VM still booting). Report those as off
    # and read the others, instead of "no lab".
    states = parse_vagrant_status(_vagrant(["status", "--machine-readable"], vagrant_dir).stdout)
    hosts = [Host(name=name, address="", role=_vagrant_role(name),
                  down=f"a VM está {VAGRANT_STATES_PT.get(state, state)} (vagrant status);"
                       f" suba-a com: vagrant up {name}")
             for name, state in states.items() if state != "running"]
    pending = [name for name, state in states.items() if state == "running"]
    while pending:
        run = _vagrant(["ssh-config", *pending], vagrant_dir)
        read = _ssh_config_hosts(run.stdout)
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
        raise InventoryError(no_lab + f"\n(vagrant ssh-config: {run.stderr.strip()[-300:]})")
    return Inventory(source=source, hosts=tuple(sorted(hosts, key=lambda h: h.name)))


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
