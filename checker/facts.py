"""What was read from the lab, turned into plain facts checks can judge.

`LabFacts` is the single input of every check: the parsed cluster model (CIB and
status) plus, per node, the parsed output of each probe. Pure code: the reading
itself happens in `gather.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from checker.fencing import FenceEvent, SbdView, parse_fence_history, parse_sbd_probe
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


@dataclass(frozen=True)
class CustomAgent:
    """One agent found under /usr/lib/ocf/resource.d/<provider>/ on a node (ocf_agents)."""

    provider: str
    name: str
    executable: bool
    sha256: str
    metadata: str = ""  # what `crm_resource --show-metadata` printed
    metadata_rc: int | None = None  # None: not run (not executable) or its output was cut

    @property
    def agent(self) -> str:
        return f"ocf:{self.provider}:{self.name}"


@dataclass(frozen=True)
class HaproxyServer:
    backend: str
    server: str
    status: str  # "UP", "DOWN", "MAINT", "no check"...


@dataclass(frozen=True)
class WebDaemons:
    running: frozenset[str]  # process names in this node's namespace: haproxy, apache2
    units: dict[str, tuple[str, str]]  # systemd unit -> (is-enabled, is-active)


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

    def custom_agents(self) -> list[CustomAgent]:
        out = self.output("ocf_agents")
        return parse_custom_agents(out.text) if out else []

    def web_answers(self) -> dict[str, str]:
        """Virtual IP -> HTTP status code its page gave from this node ("000": no answer)."""
        out = self.output("web_vip")
        return parse_web_answers(out.text) if out else {}

    def haproxy_servers(self) -> list[HaproxyServer] | None:
        """Back-end servers on HAProxy's statistics page, or None when it did not answer."""
        out = self.output("haproxy_stats")
        return parse_haproxy_csv(out.text) if out else None

    def web_daemons(self) -> WebDaemons | None:
        out = self.output("web_daemons")
        return parse_web_daemons(out.text) if out else None

    def fence_history(self) -> tuple[FenceEvent, ...] | None:
        """The fencer's history as this node knows it; None when it could not be read."""
        out = self.output("fence_history")
        return parse_fence_history(out.text) if out else None

    def sbd(self) -> SbdView | None:
        out = self.output("sbd")
        return parse_sbd_probe(out.text) if out else None


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


_SHA256 = re.compile(r"[0-9a-f]{64}")
_AGENT_NAME = re.compile(r"[A-Za-z0-9_.+-]{1,64}")
_RC_LINE = re.compile(r"@rc ([0-9]{1,3})")


def parse_custom_agents(text: str) -> list[CustomAgent]:
    """`agent\tPROVIDER\tNAME\tx|-\tSHA256` lines, each followed by its meta-data as
    '|'-prefixed lines ending in '|@rc N'. Anything else is ignored."""
    agents: list[CustomAgent] = []
    metadata: list[str] = []
    rc: int | None = None

    def close() -> None:
        if agents:
            last = agents[-1]
            agents[-1] = CustomAgent(last.provider, last.name, last.executable, last.sha256,
                                     "\n".join(metadata).strip(), rc)

    for line in text.splitlines():
        if line.startswith("|"):
            if not agents:
                continue
            body = line[1:]
            match = _RC_LINE.fullmatch(body)
            if match:
                rc = int(match.group(1))
            else:
                metadata.append(body)
            continue
        parts = line.split("\t")
        if (parts[0] == "agent" and len(parts) == 5 and _AGENT_NAME.fullmatch(parts[1])
                and _AGENT_NAME.fullmatch(parts[2]) and parts[3] in {"x", "-"}):
            close()
            metadata, rc = [], None
            sha = parts[4].strip()
            agents.append(CustomAgent(parts[1], parts[2], parts[3] == "x",
                                      sha if _SHA256.fullmatch(sha) else ""))
    close()
    return agents


def parse_web_answers(text: str) -> dict[str, str]:
    answers = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and re.fullmatch(r"[0-9.]{7,15}", parts[0]):
            code = parts[1].strip()
            answers[parts[0]] = code if re.fullmatch(r"[0-9]{3}", code) else "000"
    return answers


def parse_haproxy_csv(text: str) -> list[HaproxyServer] | None:
    """Servers (not FRONTEND/BACKEND rows) of HAProxy's `stats;csv` page."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# pxname,svname,"):
        return None
    header = lines[0][2:].split(",")
    try:
        status_at = header.index("status")
    except ValueError:
        return None
    servers = []
    for line in lines[1:]:
        fields = line.split(",")
        if len(fields) <= status_at or fields[1] in {"FRONTEND", "BACKEND"}:
            continue
        servers.append(HaproxyServer(fields[0], fields[1], fields[status_at]))
    return servers


def parse_web_daemons(text: str) -> WebDaemons:
    running: set[str] = set()
    units: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if parts[0] == "unit" and len(parts) == 4:
            units[parts[1]] = (parts[2].strip(), parts[3].strip())
        elif line.strip() in {"haproxy", "apache2", "httpd"}:
            running.add(line.strip())
    return WebDaemons(frozenset(running), units)
