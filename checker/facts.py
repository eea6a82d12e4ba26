"""What was read from the lab, turned into plain facts checks can judge.

`LabFacts` is the single input of every check: the parsed cluster model (CIB and
status) plus, per node, the parsed output of each probe. Pure code: the reading
itself happens in `gather.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from checker.inventory import Host, Inventory
from checker.model import Cib, ClusterStatus
from checker.probes import ProbeOutput

PACEMAKER_REMOTE_PORT = 3121
_HEX_PORT = re.compile(r"[0-9A-Fa-f]{4}")


@dataclass(frozen=True)
class SshPeerResult:
    peer: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class VmConfigFile:
    path: str
    present: bool
    domain: str
    disks: dict[str, bool]  # disk path -> exists on this node


@dataclass(frozen=True)
class PgProbe:
    address: str
    accepting: bool
    detail: str


@dataclass
class NodeFacts:
    host: Host
    error: str | None = None  # why the node could not be read at all
    probes: dict[str, ProbeOutput] = field(default_factory=dict)

    @property
    def reachable(self) -> bool:
        return self.error is None

    def output(self, probe: str) -> ProbeOutput | None:
        return self.probes.get(probe)

    # ---- parsed views of probe outputs
    @property
    def has_systemd(self) -> bool | None:
        out = self.output("systemd")
        return None if out is None else out.text.strip() == "yes"

    def lab_files(self) -> set[str]:
        out = self.output("lab_files")
        return set(out.text.split()) if out else set()

    def ssh_peers(self) -> list[SshPeerResult]:
        out = self.output("ssh_peers")
        return parse_ssh_peers(out.text) if out else []

    def listening_ports(self) -> set[int]:
        out = self.output("listening")
        return parse_proc_net_tcp(out.text) if out else set()

    def authkey_digest(self) -> str | None:
        out = self.output("authkey")
        if out is None or not out.ok:
            return None
        first = out.text.split()
        return first[0] if first else None

    def authkey_owner_mode(self) -> str | None:
        out = self.output("authkey")
        if out is None or not out.ok:
            return None
        lines = out.text.strip().splitlines()
        return lines[1].strip() if len(lines) > 1 else None

    def remoted_running(self) -> bool:
        out = self.output("remoted")
        return bool(out and out.ok and out.text.strip())

    def libvirt_domains(self) -> tuple[set[str], set[str]] | None:
        """(defined or running, running) domain names, or None when virsh failed."""
        out = self.output("libvirt_domains")
        if out is None or not out.ok:
            return None
        defined_part, _, running_part = out.text.partition("@running")
        names = {line.strip() for line in defined_part.splitlines() if line.strip()}
        running = {line.strip() for line in running_part.splitlines() if line.strip()}
        return names | running, running

    def vm_configs(self) -> list[VmConfigFile]:
        out = self.output("vm_configs")
        return parse_vm_configs(out.text) if out else []

    def postgres_binaries(self) -> list[str]:
        out = self.output("postgres")
        if out is None:
            return []
        return [line.strip() for line in out.text.splitlines() if line.strip().startswith("/")]

    def pg_probes(self) -> list[PgProbe]:
        out = self.output("pg_vip")
        return parse_pg_probes(out.text) if out else []


@dataclass
class LabFacts:
    inventory: Inventory
    nodes: dict[str, NodeFacts]
    cib: Cib | None = None
    status: ClusterStatus | None = None
    read_from: str | None = None  # node (or file) the CIB came from
    cib_problem: str | None = None  # why no CIB could be read
    offline: bool = False  # graded from a saved CIB file, no live nodes

    def cluster_nodes(self) -> list[NodeFacts]:
        return [self.nodes[h.name] for h in self.inventory.cluster_hosts if h.name in self.nodes]

    def remote_nodes(self) -> list[NodeFacts]:
        return [self.nodes[h.name] for h in self.inventory.remote_hosts if h.name in self.nodes]

    def unreachable(self) -> list[NodeFacts]:
        return [n for n in self.nodes.values() if not n.reachable]


def parse_ssh_peers(text: str) -> list[SshPeerResult]:
    results = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[1].isascii() and parts[1].isdigit():
            detail = parts[2].strip().rstrip(".") if len(parts) > 2 else ""
            results.append(SshPeerResult(parts[0], parts[1] == "0", detail))
    return results


def parse_proc_net_tcp(text: str) -> set[int]:
    """Ports in LISTEN state (st 0A) from /proc/net/tcp and /proc/net/tcp6."""
    ports = set()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[3] == "0A" and ":" in fields[1]:
            port = fields[1].rsplit(":", 1)[1]
            if _HEX_PORT.fullmatch(port):
                ports.add(int(port, 16))
    return ports


def parse_vm_configs(text: str) -> list[VmConfigFile]:
    configs: list[VmConfigFile] = []
    for line in text.splitlines():
        parts = line.split("\t")
        if parts[0] == "config" and len(parts) >= 2:
            configs.append(VmConfigFile(parts[1], True, parts[2] if len(parts) > 2 else "", {}))
        elif parts[0] == "missing" and len(parts) >= 2 and configs:
            last = configs[-1]
            configs[-1] = VmConfigFile(last.path, False, "", {})
        elif parts[0] == "disk" and len(parts) >= 3 and configs:
            configs[-1].disks[parts[1]] = parts[2] == "ok"
    return configs


def parse_pg_probes(text: str) -> list[PgProbe]:
    results = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[1].isascii() and parts[1].isdigit():
            results.append(PgProbe(parts[0], parts[1] == "0", "\t".join(parts[2:]).strip()))
    return results
