"""Instructor operations that change a lab, and only when asked: start and reset.

`start` checks that the lab is ready for an exercise and saves its starting CIB
configuration on every cluster node. `reset` shows what it would remove, asks, keeps
a backup of the CIB it replaces (on the node and here), puts the saved configuration
back and cleans up. Grading itself never comes here: it only reads.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from checker.boundary import safe_filename
from checker.checks import Status
from checker.errors import LabcheckError, ModelError, NodeError
from checker.exercises import Exercise
from checker.facts import LabFacts
from checker.gather import SshOptions, gather
from checker.grading import judge
from checker.inventory import Host, Inventory
from checker.model import Cib, parse_cib, parse_status
from checker.transport import NodeSession

# Per node: in the namespace lab /var/lib/pacemaker is the node's own, like on a real host.
# Vagrant lab snapshots all nodes must be restored together (one alone leaves the cluster
# inconsistent): see reset_snapshot.
STATE_DIR = "/var/lib/pacemaker/labcheck"
LOCAL_BACKUPS = Path("~/.local/state/labcheck/backups").expanduser()
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
# reset waits for the cluster twice (crm_resource --wait --timeout=120s) and more
_LONG_JOB_S = 450.0


def baseline_path(exercise: Exercise) -> str:
    return f"{STATE_DIR}/{exercise.id}.baseline.xml"


@dataclass
class Readiness:
    ready: bool
    lines: list[str] = field(default_factory=list)


def _configuration_of(cib_text: str) -> str:
    """The <configuration> section alone: replacing only it keeps the CIB's epoch rising."""
    root = ET.fromstring(cib_text)
    config = root.find("configuration")
    if config is None:
        raise ModelError("CIB sem a seção <configuration>.")
    return ET.tostring(config, encoding="unicode")


def _first_session(inventory: Inventory, ssh: SshOptions) -> tuple[Host, NodeSession]:
    reasons = []
    for host in inventory.cluster_hosts:
        try:
            return host, ssh.connect(host, deadline_s=_LONG_JOB_S)
        except NodeError as exc:
            reasons.append(str(exc))
    raise NodeError("cluster", "nenhum nó do cluster acessível: " + "; ".join(reasons))


def start(exercise: Exercise, inventory: Inventory, ssh: SshOptions, force: bool) -> Readiness:
    """Check the lab and save the exercise's starting configuration on every cluster node."""
    needs = {"cib", "status", "systemd"}.union(*(s.check.needs for s in exercise.readiness))
    facts, _ = gather(inventory, needs, ssh)
    result = Readiness(ready=True)
    for node in facts.nodes.values():
        if node.reachable:
            result.lines.append(f"✔ {node.host.name}: acessível por SSH")
        else:
            result.ready = False
            result.lines.append(f"✘ {node.host.name}: {node.error}")
    if facts.cib is None or facts.status is None:
        result.ready = False
        result.lines.append(f"✘ cluster: {facts.cib_problem or 'estado ilegível'}")
        return result
    offline = [h.name for h in inventory.cluster_hosts
               if not (facts.status.nodes.get(h.name) and facts.status.nodes[h.name].online)]
    if offline:
        result.ready = False
        result.lines.append(f"✘ cluster: nós fora do ar: {', '.join(offline)}")
        return result
    result.lines.append("✔ cluster: todos os nós online")
    _check_readiness(exercise, facts, result)
    if not result.ready:
        return result
    path = baseline_path(exercise)
    script = (f"mkdir -p {STATE_DIR} && chmod 700 {STATE_DIR} && "
              f"if test -s {path} && test \"$LABCHECK_FORCE\" != 1; then echo kept; "
              f"else cibadmin -Q > {path}.tmp && mv {path}.tmp {path} && echo saved; fi\n")
    saved_on = []
    for host in inventory.cluster_hosts:
        with ssh.connect(host) as session:
            out = session.run_script(f"LABCHECK_FORCE={int(force)}\n" + script)
        if out.exit_status != 0:
            raise LabcheckError(f"{host.name}: não foi possível gravar {path}: "
                                f"{out.stderr.strip()[-200:]}")
        saved_on.append(f"{host.name} ({'mantida' if 'kept' in out.stdout else 'gravada'})")
    result.lines.append(f"✔ configuração inicial em {path}: {', '.join(saved_on)}")
    return result


def _check_readiness(exercise: Exercise, facts: LabFacts, result: Readiness) -> None:
    # "vagrant" items need what only the Vagrant lab has (libvirt, /srv/lab); the
    # namespace lab (no systemd on its nodes) skips them, as it skips those steps.
    vagrant_lab = all(n.has_systemd for n in facts.nodes.values() if n.reachable)
    for item in exercise.readiness:
        if item.lab == "vagrant" and not vagrant_lab:
            result.lines.append(f"– {item.title}: só no laboratório Vagrant (ignorado aqui)")
            continue
        outcome = judge(item, facts)
        if outcome.status in (Status.PASS, Status.SKIP):
            result.lines.append(f"✔ {item.title}")
            continue
        result.ready = False
        result.lines.append(f"✘ {item.title}: {outcome.message}")
        hint = outcome.hint or item.hint
        if hint:
            result.lines.append(f"  → {hint}")


@dataclass
class ResetPlan:
    host: Host
    current_text: str
    baseline_text: str
    resources: list[str]
    constraints: list[str]
    remote_nodes: list[str]

    @property
    def empty(self) -> bool:
        return not (self.resources or self.constraints or self.remote_nodes)

    def describe(self) -> str:
        parts = []
        if self.resources:
            parts.append("recursos: " + ", ".join(self.resources))
        if self.constraints:
            parts.append("restrições: " + ", ".join(self.constraints))
        if self.remote_nodes:
            parts.append("nós remotos/convidados: " + ", ".join(self.remote_nodes))
        return "\n".join(f"  - {p}" for p in parts) or "  (nada: a configuração já é a inicial)"


def _resource_ids(cib: Cib) -> set[str]:
    return set(cib.primitives) | set(cib.groups) | set(cib.clones)


def _constraint_ids(cib_text: str) -> set[str]:
    root = ET.fromstring(cib_text)
    return {c.get("id", "") for c in root.findall("configuration/constraints/*")}


def plan_reset(exercise: Exercise, inventory: Inventory, ssh: SshOptions) -> ResetPlan:
    host, session = _first_session(inventory, ssh)
    path = baseline_path(exercise)
    with session:
        out = session.run_script(f"cibadmin -Q && echo @@baseline && cat {path}\n")
    current, _, baseline = out.stdout.partition("@@baseline\n")
    if "@@baseline" not in out.stdout or not baseline.strip():
        raise LabcheckError(
            f"{host.name} não tem a configuração inicial de {exercise.id} ({path}). "
            f"Rode antes: labcheck start {exercise.id}")
    now, before = parse_cib(current, f"CIB de {host.name}"), parse_cib(baseline, path)
    now_resources, before_resources = _resource_ids(now), _resource_ids(before)
    remote_like = [p.id for p in now.primitives.values()
                   if p.agent == "ocf:pacemaker:remote" or "remote-node" in p.meta]
    return ResetPlan(
        host=host,
        current_text=current,
        baseline_text=baseline,
        resources=sorted(now_resources - before_resources),
        constraints=sorted(_constraint_ids(current) - _constraint_ids(baseline)),
        remote_nodes=sorted(set(remote_like) - before_resources),
    )


def apply_reset(plan: ResetPlan, inventory: Inventory, ssh: SshOptions) -> tuple[str, Path]:
    """Replace the configuration with the baseline; returns (node backup, local backup)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    LOCAL_BACKUPS.mkdir(parents=True, exist_ok=True)
    # names come from a student's inventory: one safe component under the backup folder
    local = LOCAL_BACKUPS / safe_filename(f"{plan.host.name}-{plan.host.address}-{stamp}.xml")
    local.write_text(plan.current_text, encoding="utf-8")
    remote_backup = f"{STATE_DIR}/backup-{stamp}.xml"
    forget = " ".join(n for n in plan.remote_nodes if _SAFE_NAME.match(n))
    configuration = _configuration_of(plan.baseline_text)
    script = f"""set -e
mkdir -p {STATE_DIR}
cibadmin -Q > {remote_backup}
cibadmin --replace --scope configuration --xml-pipe <<'LABCHECK_XML'
{configuration}
LABCHECK_XML
crm_resource --wait --timeout=120s || true
for node in {forget}; do crm_node --force -R "$node" 2>/dev/null || true; done
crm_resource --cleanup >/dev/null 2>&1 || true
# exercise 1 grades the fencing of a crash from this history: back to none, as at the start
stonith_admin --history '*' --cleanup >/dev/null 2>&1 || true
crm_resource --wait --timeout=120s || true
crm_mon -1 --output-as=xml
"""
    with ssh.connect(plan.host, deadline_s=_LONG_JOB_S) as session:
        out = session.run_script(script)
    if out.exit_status != 0:
        raise LabcheckError(f"{plan.host.name}: a restauração falhou: "
                            f"{(out.stderr or out.stdout).strip()[-300:]} "
                            f"(a CIB anterior está em {local})")
    parse_status(out.stdout[out.stdout.find("<pacemaker-result"):], "crm_mon após o reset")
    return f"{plan.host.name}:{remote_backup}", local


def vagrant(args: list[str], vagrant_dir: Path) -> None:
    import subprocess

    print(f"$ vagrant {' '.join(args)}", flush=True)
    done = subprocess.run(["vagrant", *args], cwd=vagrant_dir)
    if done.returncode != 0:
        raise LabcheckError(f"vagrant {' '.join(args)} falhou (código {done.returncode}).")


def wait_for_cluster(inventory: Inventory, ssh: SshOptions, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        facts, _ = gather(inventory, {"status"}, ssh)
        status = facts.status
        if status and all(status.nodes.get(h.name) and status.nodes[h.name].online
                          for h in inventory.cluster_hosts):
            return
        if time.monotonic() > deadline:
            raise LabcheckError("o cluster não ficou online depois de restaurar os snapshots.")
        time.sleep(5)


def _set_clocks(inventory: Inventory, ssh: SshOptions) -> None:
    # A restored snapshot resumes with the clock it was saved with, and the offline lab
    # has no NTP: without this, logs and crm_mon would show the snapshot's time.
    for host in inventory.hosts:
        with ssh.connect(host) as session:
            session.run_script(f"date -u -s @{int(time.time())} >/dev/null\n", timeout=60)


def reset_snapshot(resolve: Callable[[], Inventory], ssh: SshOptions, vagrant_dir: Path,
                   name: str) -> None:
    """Restore snapshot `name` of every node, together, then wait and clean up."""
    for host in resolve().hosts:  # nodes that are off too: they are part of the lab
        vagrant(["snapshot", "restore", "--no-provision", host.name, name], vagrant_dir)
    inventory = resolve()  # every machine is running again, maybe at a new address
    _set_clocks(inventory, ssh)
    print("Esperando todos os nós do cluster ficarem online…", flush=True)
    wait_for_cluster(inventory, ssh)
    host, session = _first_session(inventory, ssh)
    with session:
        session.run_script("crm_resource --cleanup >/dev/null 2>&1; crm_resource --wait\n",
                           timeout=300)


def rebuild(vagrant_dir: Path, snapshot: str = "base") -> None:
    """Destroy and recreate the lab; snapshots go with it, so `snapshot` is saved again."""
    vagrant(["destroy", "-f"], vagrant_dir)
    vagrant(["up"], vagrant_dir)
    vagrant(["snapshot", "save", "--force", snapshot], vagrant_dir)
    print(f"Snapshot {snapshot} gravado: labcheck reset --snapshot volta a este laboratório.")
