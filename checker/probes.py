"""What labcheck reads on a node, and how it reads it all in one round trip.

Each probe is one read-only shell command from the table below (nothing else is
ever sent to a node). An exercise asks for the probes its checks need; they are
joined into one script, run over a single SSH exec, and the output is split back
by markers. The first word of every command is in READ_ONLY_PROGRAMS, which the
test suite enforces.

Values a probe takes from the node's own CIB (paths, addresses) are the student's, so the
commands never let them glob (`set -f`) or become options; the markers carry a random
token per run, so nothing a command prints can pass for the end of a probe.
"""

from __future__ import annotations

import re
import secrets
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Programs a probe may start. All of them only read state.
READ_ONLY_PROGRAMS = frozenset(
    {
        "test", "cibadmin", "crm_mon", "pidof", "cat", "sha256sum", "stat", "virsh",
        "systemctl", "ls", "pg_isready", "ssh", "sed", "printf", "head", "tail", "echo",
        "readlink", "true", "grep",
        # `timeout` only ever runs a program of this list; crm_resource only with
        # --show-metadata (it runs the agent's meta-data action, as Pacemaker does); curl
        # only GETs pages.
        "timeout", "crm_resource", "curl", "sort",
        # stonith_admin only with --history (--verbose: every event, not only one per node);
        # sbd only with `dump` and `list` (the disk's header and slots; never `message`).
        "stonith_admin", "sbd",
    }
)

# Providers whose agents come from packages (resource-agents, pacemaker, ...): the ones a
# student writes live under any other name (labcheck in the course).
PACKAGED_PROVIDERS = ("heartbeat", "pacemaker", "redhat", "linbit", "openstack", "percona",
                      "seapath")
# At most this many custom agents are read per node, each meta-data up to 64 KiB.
MAX_CUSTOM_AGENTS = 20
MAX_METADATA_BYTES = 65536
# SBD: at most this many devices per node (sbd itself takes three), each path checked.
MAX_SBD_DEVICES = 3
SBD_DEVICE_PATH = "/dev/[A-Za-z0-9/_.:+-]{1,200}"
# The exercise 5 lab: HAProxy's statistics page, as the exercise prescribes it.
HAPROXY_STATS_URL = "http://127.0.0.1:8404/stats;csv"


@dataclass(frozen=True)
class Probe:
    name: str
    roles: frozenset[str]  # which nodes run it: "cluster", "remote"
    command: str  # may use $LABCHECK_PEERS (space-separated cluster node names)
    description: str


_CLUSTER = frozenset({"cluster"})
_REMOTE = frozenset({"remote"})
_ALL = frozenset({"cluster", "remote"})

# VirtualDomain `config=` paths and IPaddr2 `ip=` values are read from the node's own
# CIB inside the script, so checking them needs no second round trip.
_CIB_PARAM = (
    "cibadmin -Q --xpath \"//primitive[@type='{type}']/instance_attributes/nvpair[@name='{name}']\""
    " 2>/dev/null | sed -n 's/.* value=\"\\([^\"]*\\)\".*/\\1/p'"
)

PROBES: dict[str, Probe] = {
    p.name: p
    for p in (
        Probe("systemd", _ALL, "test -d /run/systemd/system && echo yes || echo no",
              "o nó usa systemd?"),
        Probe("cib", _CLUSTER, "cibadmin -Q", "CIB completa (configuração e histórico)"),
        Probe("status", _CLUSTER, "crm_mon -1 --output-as=xml", "estado do cluster"),
        Probe("libvirt_domains", _CLUSTER,
              "virsh -c qemu:///system list --all --name && echo @running && "
              "virsh -c qemu:///system list --name",
              "domínios libvirt definidos e em execução"),
        Probe("ssh_peers", _CLUSTER,
              # one name a line, read as data: never split, globbed or taken as an option;
              # 10 s to connect: under emulation, with the host busy, 5 s timed out once
              "printf '%s\\n' \"$LABCHECK_PEERS\" | while IFS= read -r peer; do "
              "test -n \"$peer\" || continue; "
              "out=$(ssh -n -o BatchMode=yes -o ConnectTimeout=10 -- \"$peer\" true 2>&1); "
              "printf '%s\\t%s\\t%s\\n' \"$peer\" \"$?\" \"$(printf '%s' \"$out\" | tail -n 1)\"; "
              "done",
              "SSH sem senha deste nó para os outros nós do cluster"),
        Probe("vm_configs", _CLUSTER,
              "set -f; for f in $(" + _CIB_PARAM.format(type="VirtualDomain", name="config")
              + "); do "
              "test \"${f#/}\" != \"$f\" || continue; "  # absolute paths only: no '-x' options
              "if test -r \"$f\"; then "
              "printf 'config\\t%s\\t%s\\n' \"$f\" "
              "\"$(sed -n 's:.*<name>\\(.*\\)</name>.*:\\1:p' \"$f\" | head -n 1)\"; "
              "for d in $(sed -n \"s:.*<source file=['\\\"]\\([^'\\\"]*\\)['\\\"].*:\\1:p\" \"$f\"); do "
              "if test -e \"$d\"; then printf 'disk\\t%s\\tok\\n' \"$d\"; "
              "else printf 'disk\\t%s\\tmissing\\n' \"$d\"; fi; done; "
              "else printf 'config\\t%s\\t\\n' \"$f\"; printf 'missing\\t%s\\n' \"$f\"; fi; done",
              "arquivos XML dos domínios (config=) e seus discos neste nó"),
        # Only a process in this node's own network namespace counts: on one host running
        # several labs in namespaces (labs/nslab), pidof also sees the other labs' daemons.
        Probe("remoted", _REMOTE,
              "for pid in $(pidof pacemaker-remoted pacemaker_remoted); do "
              "test \"$(readlink /proc/$pid/ns/net)\" = \"$(readlink /proc/self/ns/net)\" "
              "&& echo \"$pid\"; done; true",
              "processo pacemaker-remoted"),
        Probe("listening", _REMOTE, "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null",
              "portas TCP em escuta"),
        Probe("remote_enabled", _REMOTE,
              "test -d /run/systemd/system && systemctl is-enabled pacemaker_remote",
              "pacemaker_remote habilitado no boot"),
        Probe("authkey", _ALL,
              "sha256sum /etc/pacemaker/authkey && stat -c '%U:%G %a' /etc/pacemaker/authkey",
              "resumo SHA-256 de /etc/pacemaker/authkey (nunca a chave)"),
        # What the lab leaves for the exercises (VM definition and disk, offline packages).
        Probe("lab_files", _ALL,
              "for f in /srv/lab/* /srv/lab/debs/* /srv/lab/agents/* /var/lib/libvirt/images/shared/*; do "
              "test -e \"$f\" && echo \"$f\"; done; true",
              "arquivos que o laboratório deixa para os exercícios"),
        Probe("postgres", _CLUSTER,
              "ls -d /usr/lib/postgresql/*/bin/postgres /usr/pgsql-*/bin/postgres "
              "/usr/bin/postgres 2>/dev/null",
              "binários do PostgreSQL instalados"),
        # Exercise 4: the agents under /usr/lib/ocf/resource.d/<provider>/ that no package
        # installed. Names are checked before use; the meta-data comes from crm_resource (the
        # agent's own action, bounded in time and size), its exit status on the last line.
        Probe("ocf_agents", _CLUSTER,
              "n=0; for f in /usr/lib/ocf/resource.d/*/*; do "
              "test -f \"$f\" || continue; "
              "p=${f%/*}; p=${p##*/}; a=${f##*/}; "
              "case \"$p\" in " + "|".join(PACKAGED_PROVIDERS) + ") continue;; esac; "
              "n=$((n + 1)); test \"$n\" -le " + str(MAX_CUSTOM_AGENTS) + " || break; "
              "if printf '%s\\n%s' \"$p\" \"$a\" | grep -Eqvx '[A-Za-z0-9_.+-]{1,64}'; then "
              "printf 'badname\\n'; continue; fi; "
              "x=-; test -x \"$f\" && x=x; "
              "printf 'agent\\t%s\\t%s\\t%s\\t%s\\n' \"$p\" \"$a\" \"$x\" "
              "\"$(sha256sum < \"$f\" | sed 's/ .*//')\"; "
              "test \"$x\" = x || continue; "
              "{ timeout -k 2 10 crm_resource --show-metadata \"ocf:$p:$a\" 2>&1; "
              "printf '\\n@rc %s\\n' \"$?\"; } | head -c " + str(MAX_METADATA_BYTES + 32)
              + " | sed 's/^/|/'; echo; done; true",
              "agentes OCF próprios: executável, SHA-256 e meta-data"),
        # Exercise 5: the site on each virtual IP (through HAProxy), HAProxy's statistics and
        # which web daemons run in this node's own network namespace (see "remoted").
        Probe("web_vip", _CLUSTER,
              "set -f; for ip in $(" + _CIB_PARAM.format(type="IPaddr2", name="ip") + "); do "
              "printf '%s' \"$ip\" | grep -Eqx '[0-9.]{7,15}' || continue; "
              "code=$(curl -s -o /dev/null -m 3 -w '%{http_code}' \"http://$ip/\" 2>&1); "
              "printf '%s\\t%s\\n' \"$ip\" \"$code\"; done",
              "o site responde em cada IP virtual (HTTP)"),
        Probe("haproxy_stats", _CLUSTER,
              f"curl -s -m 3 '{HAPROXY_STATS_URL}' | head -c 65536",
              "estatísticas do HAProxy (127.0.0.1:8404)"),
        Probe("web_daemons", _CLUSTER,
              "for pid in $(pidof haproxy apache2 httpd); do "
              "test \"$(readlink /proc/$pid/ns/net)\" = \"$(readlink /proc/self/ns/net)\" "
              "&& cat /proc/$pid/comm; done | sort -u; "
              "if test -d /run/systemd/system; then for u in haproxy apache2; do "
              "printf 'unit\\t%s\\t%s\\t%s\\n' \"$u\" "
              "\"$(systemctl is-enabled \"$u\" 2>/dev/null)\" "
              "\"$(systemctl is-active \"$u\" 2>/dev/null)\"; done; fi; true",
              "HAProxy e Apache rodando neste nó, e se o systemd os inicia"),
        # Fencing: what the fencer did (its history, every target), and SBD as this node
        # sees it: its settings, each device's header and slots, the watchdogs the kernel has.
        Probe("fence_history", _CLUSTER,
              "timeout -k 2 10 stonith_admin --history '*' --verbose --output-as=xml | head -c 262144",
              "histórico de fencing (stonith_admin --history)"),
        Probe("sbd", _CLUSTER,
              "f=/etc/default/sbd; test -r /etc/sysconfig/sbd && f=/etc/sysconfig/sbd; "
              "test -r \"$f\" && grep '^SBD_' \"$f\" | head -c 8192 | sed 's/^/c|/'; set -f; "
              "for d in $(sed -n 's/^SBD_DEVICE=//p' \"$f\" 2>/dev/null | head -n 1 "
              "| sed \"s/[\\\"']//g; s/;/\\n/g\" | head -n " + str(MAX_SBD_DEVICES) + "); do "
              "if printf '%s' \"$d\" | grep -Eqvx '" + SBD_DEVICE_PATH + "'; then "
              "printf 'baddevice\\n'; continue; fi; "
              "printf 'device\\t%s\\n' \"$d\"; "
              "( timeout -k 2 10 sbd -d \"$d\" dump 2>&1; printf '@rc %s\\n' \"$?\" ) "
              "| head -c 8192 | sed 's/^/d|/'; "
              "( timeout -k 2 10 sbd -d \"$d\" list 2>&1; printf '@rc %s\\n' \"$?\" ) "
              "| head -c 65536 | sed 's/^/l|/'; done; set +f; "
              "for w in /sys/class/watchdog/watchdog*; do test -r \"$w/identity\" && "
              "printf 'watchdog\\t%s\\t%s\\n' \"${w##*/}\" \"$(head -c 100 \"$w/identity\")\"; "
              "done; pidof sbd > /dev/null && echo running; true",
              "SBD: configuração, cabeçalho e slots de cada disco, watchdogs do kernel"),
        Probe("pg_vip", _CLUSTER,
              "set -f; for ip in $(" + _CIB_PARAM.format(type="IPaddr2", name="ip") + "); do "
              "printf '%s' \"$ip\" | grep -Eqx '[0-9A-Fa-f:.]{2,45}' || continue; "
              "out=$(pg_isready -h \"$ip\" -p 5432 -t 3 2>&1); "
              "printf '%s\\t%s\\t%s\\n' \"$ip\" \"$?\" \"$out\"; done",
              "o PostgreSQL responde em cada IP virtual (pg_isready)"),
    )
}

# The cluster model (model.py): always read together, from the same node.
MODEL_PROBES = frozenset({"cib", "status"})

_MARKER_PREFIX = "@@labcheck-"
# An exit status is 0-255; more digits than this is not an exit status.
_STATUS_DIGITS = 3


@dataclass(frozen=True)
class ProbeOutput:
    exit_status: int
    text: str

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


def probes_for(names: Iterable[str], role: str) -> list[Probe]:
    return [PROBES[n] for n in sorted(set(names)) if role in PROBES[n].roles]


def new_marker() -> str:
    """A marker no probe output can guess: '@@labcheck-' and 16 random hex digits."""
    return f"{_MARKER_PREFIX}{secrets.token_hex(8)}"


def build_script(
    probes: Iterable[Probe], env: Mapping[str, str] | None = None, marker: str | None = None
) -> tuple[str, str]:
    """One POSIX sh script that runs every probe and marks where each output ends.

    Returns (script, marker); `parse_output` needs the same marker."""
    marker = marker or new_marker()
    lines = [
        "export LC_ALL=C",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH",
    ]
    for key, value in (env or {}).items():
        lines.append(f"{key}={shlex.quote(value)}; export {key}")
    for probe in probes:
        lines.append(f"printf '\\n{marker}-begin {probe.name}\\n'")
        # A subshell so one probe's failure or `exit` cannot end the others.
        lines.append(f"( {probe.command} ) 2>&1")
        lines.append(f"printf '\\n{marker}-end {probe.name} %s\\n' \"$?\"")
    return "\n".join(lines) + "\n", marker


def parse_output(stdout: str, marker: str) -> dict[str, ProbeOutput]:
    """Split a script's stdout back into one ProbeOutput per probe.

    A probe counts only when both its markers are there, in order, with a sane exit status;
    anything else (a cut or hostile output) leaves that probe out, never raises."""
    results: dict[str, ProbeOutput] = {}
    end_line = re.compile(
        rf"^{re.escape(marker)}-end (\S+) ([0-9]{{1,{_STATUS_DIGITS}}})$", re.MULTILINE)
    for end in end_line.finditer(stdout):
        name = end.group(1)
        begin_marker = f"\n{marker}-begin {name}\n"
        start = stdout.rfind(begin_marker, 0, end.start())
        if start < 0:
            continue
        body = stdout[start + len(begin_marker) : end.start()]
        results[name] = ProbeOutput(int(end.group(2)), body.rstrip("\n"))
    return results
