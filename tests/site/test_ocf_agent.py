"""labs/agents/labapp is a real OCF agent: ocf-tester passes and failures map to OCF codes."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.site.pagecommands import file_key, record_executed

ROOT = Path(__file__).resolve().parents[2]
AGENT = ROOT / "labs" / "agents" / "labapp"
OCF_TESTER = shutil.which("ocf-tester") or next(
    (p for p in ("/usr/sbin/ocf-tester", "/usr/bin/ocf-tester") if os.access(p, os.X_OK)), None
)
OCF_ROOT = "/usr/lib/ocf"
SHELLFUNCS = Path(OCF_ROOT) / "lib/heartbeat/ocf-shellfuncs"

OCF_SUCCESS, OCF_ERR_GENERIC, OCF_ERR_CONFIGURED, OCF_NOT_RUNNING = 0, 1, 6, 7


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def workdir() -> Iterator[Path]:
    # ocf-tester runs `meta-data` as user nobody: the agent's folder must be reachable.
    path = Path(tempfile.mkdtemp(prefix="labapp-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def installed_agent(workdir: Path) -> Path:
    copy = workdir / "labapp"
    shutil.copy2(AGENT, copy)
    copy.chmod(0o755)
    return copy


def test_agent_is_executable_in_the_repository() -> None:
    assert AGENT.stat().st_mode & stat.S_IXUSR, "labs/agents/labapp precisa de chmod 755"


@pytest.mark.skipif(OCF_TESTER is None, reason="ocf-tester não encontrado (pacote resource-agents)")
def test_ocf_tester_passes(workdir: Path) -> None:
    if shutil.which("xmllint") is None:
        pytest.fail("o ocf-tester valida o meta-data com xmllint: instale o pacote libxml2-utils")
    agent = installed_agent(workdir)
    port = free_port()
    run = subprocess.run(
        [OCF_TESTER, "-n", "teste", "-o", f"port={port}",
         "-o", f"docroot={workdir / 'www'}", "-o", f"pidfile={workdir / 'labapp.pid'}",
         "-o", f"logfile={workdir / 'labapp.log'}", str(agent)],
        capture_output=True, text=True, timeout=180,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "passed all tests" in output, output
    record_executed(file_key(ROOT / "labs" / "agents" / "labapp"), "test_ocf_agent (ocf-tester)")


@pytest.mark.skipif(not SHELLFUNCS.exists(), reason="ocf-shellfuncs ausente (pacote resource-agents)")
class TestActions:
    """Calls the agent the way Pacemaker does: action as argument, parameters in OCF_RESKEY_*."""

    @pytest.fixture
    def env(self, workdir: Path) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "OCF_ROOT": OCF_ROOT,
            "OCF_RESOURCE_INSTANCE": "teste",
            "OCF_RESKEY_port": str(free_port()),
            "OCF_RESKEY_docroot": str(workdir / "www"),
            "OCF_RESKEY_pidfile": str(workdir / "labapp.pid"),
            "OCF_RESKEY_logfile": str(workdir / "labapp.log"),
            "OCF_RESKEY_CRM_meta_timeout": "8000",
        }

    @staticmethod
    def run(action: str, env: dict[str, str], **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(AGENT), action], env={**env, **extra}, capture_output=True,
                              text=True, timeout=60)

    def test_invalid_port_is_a_configuration_error(self, env: dict[str, str]) -> None:
        run = self.run("validate-all", env, OCF_RESKEY_port="abc")
        assert run.returncode == OCF_ERR_CONFIGURED
        assert "ocf-exit-reason:" in run.stderr

    def test_stop_succeeds_even_with_broken_configuration(self, env: dict[str, str]) -> None:
        # A failed stop gets a node fenced: with nothing running, stop must succeed.
        assert self.run("stop", env, OCF_RESKEY_python="/nao/existe").returncode == OCF_SUCCESS

    def test_crash_and_hang_are_reported(self, env: dict[str, str], workdir: Path) -> None:
        assert self.run("monitor", env).returncode == OCF_NOT_RUNNING
        assert self.run("start", env).returncode == OCF_SUCCESS
        try:
            assert self.run("monitor", env).returncode == OCF_SUCCESS
            assert "labapp em" in (workdir / "www" / "index.html").read_text()
            pid = int((workdir / "labapp.pid").read_text())

            os.kill(pid, 19)  # SIGSTOP: process alive, port not answering -> failed, not stopped
            hung = self.run("monitor", env)
            assert hung.returncode == OCF_ERR_GENERIC, hung.stderr
            assert "não responde" in hung.stderr

            # stop escalates to SIGKILL within the operation timeout
            started = time.monotonic()
            assert self.run("stop", env).returncode == OCF_SUCCESS
            assert time.monotonic() - started < 8
            assert self.run("monitor", env).returncode == OCF_NOT_RUNNING
        finally:
            self.run("stop", env)

        assert self.run("start", env).returncode == OCF_SUCCESS
        pid = int((workdir / "labapp.pid").read_text())
        os.kill(pid, 9)  # crash
        time.sleep(0.5)
        assert self.run("monitor", env).returncode == OCF_NOT_RUNNING
        assert self.run("stop", env).returncode == OCF_SUCCESS

    def test_meta_data_names_the_parameters(self, env: dict[str, str]) -> None:
        run = self.run("meta-data", {"PATH": env["PATH"]})
        assert run.returncode == OCF_SUCCESS
        for name in ("port", "bind", "docroot", "pidfile", "logfile", "python"):
            assert f'<parameter name="{name}"' in run.stdout
