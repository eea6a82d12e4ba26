"""Shared fixtures. The cluster tests use a real Pacemaker lab in network namespaces."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.site import pagecommands

ROOT = Path(__file__).resolve().parents[1]
NSLAB = ROOT / "labs" / "nslab" / "nslab"
# The test lab has its own name and subnet so it never touches a lab you run by hand;
# two test runs at once (e.g. two checkouts) need different LABCHECK_TEST_LAB/_SUBNET.
TEST_LAB = os.environ.get("LABCHECK_TEST_LAB", "t")
TEST_SUBNET = os.environ.get("LABCHECK_TEST_SUBNET", "192.168.220")


@dataclass
class Graded:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)

    def status(self, step: str) -> str:
        return next(c["status"] for c in self.json["checks"] if c["id"] == step)

    def check(self, step: str) -> dict:
        return next(c for c in self.json["checks"] if c["id"] == step)


@dataclass
class Lab:
    name: str
    state: Path
    subnet: str = TEST_SUBNET

    @property
    def inventory(self) -> Path:
        return self.state / "inventory.yaml"

    @property
    def known_hosts(self) -> Path:
        return self.state / "known_hosts"

    def address(self, node: str) -> str:
        return f"{self.subnet}.{10 + int(node.removeprefix('node'))}"

    def nslab(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(NSLAB), *args, "--name", self.name], capture_output=True,
                              text=True, check=check, timeout=300)

    def sh(self, node: str, script: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a shell script on a node as the student would (inside its namespaces)."""
        run = subprocess.run([str(NSLAB), "exec", "--name", self.name, node, "--", "sh", "-c",
                              script], capture_output=True, text=True, timeout=300)
        if check and run.returncode != 0:
            raise AssertionError(f"{node}: {script!r} -> {run.returncode}\n{run.stdout}{run.stderr}")
        return run

    def labcheck(self, *args: str, inventory: Path | None = None, env: dict | None = None,
                 fmt: str = "json") -> Graded:
        command = [sys.executable, "-m", "checker", *args]
        if fmt:
            command += ["--format", fmt]
        full_env = {**os.environ, "LABCHECK_INVENTORY": str(inventory or self.inventory),
                    "LABCHECK_KNOWN_HOSTS": str(self.known_hosts), **(env or {})}
        run = subprocess.run(command, capture_output=True, text=True, env=full_env, timeout=300,
                             cwd=ROOT)
        assert "Traceback" not in run.stderr, run.stderr
        return Graded(run.returncode, run.stdout, run.stderr)

    def solve(self, exercise: str) -> None:
        """Run the reference solution labs/solutions/EXERCISE.sh on this lab."""
        env = {**os.environ, "LAB_KIND": "nslab", "NSLAB_NAME": self.name}
        script = ROOT / "labs" / "solutions" / f"{exercise}.sh"
        run = subprocess.run(["bash", str(script)],
                             env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr
        pagecommands.record_executed(pagecommands.file_key(script), "Lab.solve (nslab)")

    def cib_epoch(self) -> tuple[str, str]:
        out = self.sh("node1", "cibadmin -Q | head -n 1").stdout
        import re

        get = lambda key: re.search(rf'\b{key}="(\d+)"', out).group(1)  # noqa: E731
        return get("admin_epoch"), get("epoch")



def wait_for(what: str, probe, timeout: float = 90, step: float = 0.5):
    """probe() until it returns something true; its last value is in the failure."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {timeout:g} s (last: {value!r})")
        time.sleep(step)


def start_lab(name: str, subnet: str) -> Lab:
    if os.geteuid() != 0:
        pytest.fail("os testes de cluster precisam de root (network namespaces)")
    up = subprocess.run([str(NSLAB), "up", "--name", name, "--subnet", subnet],
                        capture_output=True, text=True, timeout=300)
    if up.returncode != 0:
        pytest.fail(f"nslab up falhou:\n{up.stdout}\n{up.stderr}")
    state = Path(os.environ.get("LABCHECK_NSLAB_DIR", "/var/tmp/labcheck-nslab")) / name
    return Lab(name, state, subnet)


def stop_lab(lab: Lab) -> None:
    subprocess.run([str(NSLAB), "down", "--name", lab.name], capture_output=True, timeout=300)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The site's command tally counts what the other tests executed: it runs last."""
    items.sort(key=lambda item: item.get_closest_marker("proof_tally") is not None)


def pytest_terminal_summary(terminalreporter) -> None:
    """The tally of tests/site/test_commands.py, shown even when every test passed."""
    if pagecommands.TALLY:
        terminalreporter.write_sep("-", "prova dos comandos do site")
        terminalreporter.write_line(pagecommands.TALLY[-1])


@pytest.fixture(scope="session", autouse=True)
def grading_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every `labcheck class` of the tests records into a throwaway history, never the
    user's own (~/.local/state/labcheck)."""
    path = tmp_path_factory.mktemp("history") / "history.sqlite3"
    os.environ["LABCHECK_DB"] = str(path)
    return path


@pytest.fixture(scope="session")
def lab() -> Lab:
    started = start_lab(TEST_LAB, TEST_SUBNET)
    yield started
    stop_lab(started)


@pytest.fixture
def clean_lab(lab: Lab) -> Lab:
    """The lab as right after `nslab up`: no resources, no keys, no remote node."""
    lab.nslab("reset")
    return lab


AGENT_ON_NODE = "/usr/lib/ocf/resource.d/labcheck/labapp"


@pytest.fixture(scope="session")
def course_agent() -> Path:
    """The custom OCF agent of lesson 7.3.4, on this machine, for `pcs -f` to read its
    meta-data. (The namespace lab's nodes have their own agent directory: see
    `install_course_agent`.)"""
    agent_dir = Path("/usr/lib/ocf/resource.d/labcheck")
    agent = agent_dir / "labapp"
    # Remove only what this run put there (another test run may share the machine).
    created_dir, created_agent = not agent_dir.exists(), not agent.exists()
    agent_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "labs" / "agents" / "labapp", agent)
    yield agent
    if created_agent:
        agent.unlink(missing_ok=True)
    if created_dir:
        shutil.rmtree(agent_dir, ignore_errors=True)


def install_course_agent(lab: Lab, nodes: tuple[str, ...] = ("node1", "node2")) -> None:
    """As lesson 7.3.4 does it, on each node: the lab leaves the agent in /srv/lab/agents."""
    for node in nodes:
        lab.sh(node, f"install -D -m 0755 /srv/lab/agents/labapp {AGENT_ON_NODE}")
