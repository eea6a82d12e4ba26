"""The site's blocks that run on the namespace lab, run as the pages write them.

Each test picks a block by a line it contains, runs every command of it and records it for
the tally of tests/site/test_commands.py. Only these substitutions are made, so that the
test's lab is used instead of a lab you may have up by hand: the lab's subnet
(192.168.213 -> the test lab's), its state folder (/var/tmp/labcheck-nslab/lab/ -> the test
lab's) and the rehearsal copy of lesson 7.1 (/root/ensaio.xml -> a file in /var/tmp).
labcheck may exit 1 (steps failed: the lab is not solved); anything else must exit 0.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, TEST_LAB, TEST_SUBNET, Lab, wait_for
from tests.site import pagecommands

DOCS = ROOT / "docs"
# `labcheck` as a student has it after installing the project (the virtualenv's bin first).
PATH = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"


def block(page: str, containing: str) -> pagecommands.Block:
    return pagecommands.page_block(DOCS / page, containing)


def for_lab(lab: Lab, command: str) -> str:
    return (command.replace("192.168.213.", f"{lab.subnet}.")
            .replace("/labcheck-nslab/lab/", f"/labcheck-nslab/{lab.name}/")
            .replace("/root/ensaio.xml", f"/var/tmp/labcheck-ensaio-{lab.name}.xml"))


def run_block(lab: Lab, found: pagecommands.Block, *, node: str | None = None,
              cwd: Path = ROOT, env: dict[str, str] | None = None) -> list[str]:
    """Each command of the block, on a node of the lab or (node=None) on this machine."""
    outputs = []
    for command in found.commands():
        script = for_lab(lab, command)
        if node:
            run = lab.sh(node, script, check=False)
        else:
            run = subprocess.run(["bash", "-o", "pipefail", "-c", script], cwd=cwd,
                                 capture_output=True, text=True, timeout=300,
                                 env={**os.environ, "PATH": PATH, **(env or {})},
                                 stdin=subprocess.DEVNULL)
        allowed = {0, 1} if command.startswith("labcheck ") else {0}
        assert run.returncode in allowed, f"{found.where}: {script}\n{run.stdout}{run.stderr}"
        outputs.append(run.stdout + run.stderr)
    pagecommands.record_executed(found.digest, "tests/cluster/test_site_blocks.py")
    return outputs


def grader_env(lab: Lab) -> dict[str, str]:
    return {"LABCHECK_KNOWN_HOSTS": str(lab.known_hosts)}


def test_the_namespace_lab_commands_of_the_lab_page():
    """laboratorio.md's nslab commands bring up, enter, reset and take down a second lab
    (named by $NSLAB_NAME/$NSLAB_SUBNET, which nslab takes as its defaults)."""
    third = TEST_SUBNET.rsplit(".", 1)[1]
    env = {"NSLAB_NAME": f"{TEST_LAB}p", "NSLAB_SUBNET": f"10.77.{third}"}
    found = block("laboratorio.md", "labs/nslab/nslab up")
    try:
        outputs = run_block(Lab(env["NSLAB_NAME"], Path("/"), env["NSLAB_SUBNET"]), found,
                            env=env)
        assert "node1" in outputs[1] and "Online" in outputs[1], outputs[1]
    finally:
        subprocess.run(["labs/nslab/nslab", "down"], cwd=ROOT, env={**os.environ, **env},
                       capture_output=True, timeout=300)


def test_grading_the_namespace_lab_as_the_lab_page_says(clean_lab: Lab):
    [out] = run_block(clean_lab, block("laboratorio.md", "labcheck exercise2 --inventory"),
                      env=grader_env(clean_lab))
    assert "Exercício 2" in out


def test_the_instructor_guide_grades_one_student_and_a_class(clean_lab: Lab, tmp_path: Path):
    (tmp_path / "aluno.yaml").write_text(clean_lab.inventory.read_text())
    (tmp_path / "turma").mkdir()
    (tmp_path / "turma" / "ana.yaml").write_text(clean_lab.inventory.read_text())
    listing, one = run_block(clean_lab, block("instrutor.md", "labcheck list"), cwd=tmp_path,
                             env=grader_env(clean_lab))
    assert "exercise3" in listing and "Exercício 1" in one
    run_block(clean_lab, block("instrutor.md", "--inventories turma/ --out notas/ --jobs 8"),
              cwd=tmp_path, env=grader_env(clean_lab))
    assert any((tmp_path / "notas").iterdir())


def test_the_instructor_guide_watches_a_class_then_exports_it(clean_lab: Lab, tmp_path: Path):
    """The board, the history and the Moodle export, as the guide writes them: the watch
    block runs until its board has graded the class, then gets the Ctrl-C the guide says."""
    import json
    import signal
    import time
    import urllib.request

    (tmp_path / "turma").mkdir()
    (tmp_path / "turma" / "ana.yaml").write_text(clean_lab.inventory.read_text())
    env = {**os.environ, "PATH": PATH, **grader_env(clean_lab),
           "LABCHECK_DB": str(tmp_path / "historico.sqlite3")}
    watch_block = block("instrutor.md", "labcheck class watch exercise2")
    [command] = watch_block.commands()
    watch = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert watch.stdout is not None
        url = next(line.split()[-4] for line in iter(watch.stdout.readline, "")
                   if "Quadro da turma:" in line)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with urllib.request.urlopen(url + "api/board", timeout=10) as response:
                board = json.load(response)
            if board["students"][0]["status"] != "waiting":
                break
            time.sleep(1)
        assert board["students"][0]["student"] == "ana"
        assert board["students"][0]["status"] == "failed"
    finally:
        watch.send_signal(signal.SIGINT)
        _, err = watch.communicate(timeout=60)
    assert watch.returncode == 0, err
    pagecommands.record_executed(watch_block.digest, "tests/cluster/test_site_blocks.py")

    [history] = run_block(clean_lab, block("instrutor.md", "labcheck class history exercise2"),
                          cwd=tmp_path, env=grader_env(clean_lab))
    assert any(line.startswith("ana ") for line in history.splitlines())
    (tmp_path / "turma.csv").write_text("student;email;idnumber\nana;ana@escola.edu.br;2026001\n")
    run_block(clean_lab, block("instrutor.md", "--format moodle --roster turma.csv"),
              cwd=tmp_path, env=grader_env(clean_lab))
    exported = (tmp_path / "notas-moodle.csv").read_text()
    assert exported.splitlines()[1].startswith("ana@escola.edu.br,5.3,")


def test_the_rehearsal_copy_comes_from_the_live_cluster(clean_lab: Lab):
    """Lesson 7.1's `pcs cluster cib /root/ensaio.xml`; the rest of that block runs in
    tests/site/test_placement.py on a CIB recorded from this lab."""
    command = "pcs cluster cib /root/ensaio.xml"
    assert command in block("licoes/7.1-virtualdomain.md", command).commands()
    copy = Path(for_lab(clean_lab, "/root/ensaio.xml"))
    try:
        clean_lab.sh("node1", for_lab(clean_lab, command))
        assert "<cib " in copy.read_text()
        pagecommands.record_executed("cmd:" + command, "tests/cluster/test_site_blocks.py")
    finally:
        copy.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def remote_up(lab: Lab) -> Lab:
    lab.nslab("reset")
    lab.solve("exercise2")
    return lab


def test_the_remote_lesson_checks_on_a_running_remote_node(remote_up: Lab):
    [listening] = run_block(remote_up, block("licoes/7.2-pacemaker-remote.md",
                                             "ss -tlnp | grep 3121"), node="node3")
    assert ":3121" in listening
    outputs = run_block(remote_up, block("licoes/7.2-pacemaker-remote.md",
                                         "dummy_remoto prefers node3"), node="node1")
    remote_up.sh("node1", "crm_resource --wait --timeout=60s")
    located = remote_up.sh("node1", "crm_resource --locate -r dummy_remoto").stdout
    assert "running on: node3" in located, outputs
    remote_up.sh("node1", "pcs resource delete dummy_remoto --force", check=False)


def test_the_postgresql_vip_answers_as_the_lesson_says(lab: Lab):
    lab.nslab("reset")
    lab.solve("exercise3")
    [ready] = run_block(lab, block("licoes/7.3-integracoes/bancos-de-dados.md",
                                   "pg_isready -h 192.168.213.110 -p 5432"), node="node2")
    assert "accepting connections" in ready


def test_the_agent_lesson_installs_and_calls_the_agent(lab: Lab):
    """Lesson 7.3.4: install the agent on each node as the lesson says, and call one action
    by hand."""
    lab.nslab("reset")
    install = block("licoes/7.3-integracoes/agentes-ocf.md", "install -D -m 0755 /srv/lab")
    for node in ("node1", "node2"):
        described = run_block(lab, install, node=node)
        assert "ocf:labcheck:labapp - " in described[-1]
    [monitor] = run_block(lab, block("licoes/7.3-integracoes/agentes-ocf.md",
                                     'monitor; echo "código: $?"'), node="node1")
    assert "código: 7" in monitor  # OCF_NOT_RUNNING: nothing listens on 8080 for it


def test_a_lost_remote_node_waits_for_fencing_until_confirmed(lab: Lab):
    """Lesson 7.2: with STONITH on and no device for node3, losing its pacemaker_remote
    leaves node3 UNCLEAN until `pcs stonith confirm node3 --force`."""
    lab.nslab("reset")  # its own remote node: other tests of this module reset the lab
    lab.solve("exercise2")

    def node_list() -> str:
        return lab.sh("node1", "crm_mon -1").stdout

    lab.sh("node1", 'pcs stonith create fence-lab fence_nslab pcmk_host_list="node1 node2" '
                    "&& pcs property set stonith-enabled=true && crm_resource --wait --timeout=60s")
    try:
        assert "RemoteOnline: [ node3 ]" in node_list()
        lab.sh("node3", "pkill -9 -f pacemaker-remoted; true", check=False)
        assert wait_for("node3 UNCLEAN",
                        lambda: "RemoteNode node3: UNCLEAN (offline)" in node_list(), 120, step=3)
        lab.nslab("remote-start")
        time.sleep(40)  # more than reconnect_interval: still waiting for the fencing
        assert "RemoteNode node3: UNCLEAN (offline)" in node_list()
        assert "reboot of node3 failed" in lab.sh("node1", "pcs stonith history show node3").stdout
        [confirmed] = run_block(lab, block("licoes/7.2-pacemaker-remote.md",
                                           "pcs stonith confirm node3"), node="node1")
        assert "Node: node3 confirmed fenced" in confirmed
        assert wait_for("node3 back", lambda: "RemoteOnline: [ node3 ]" in node_list(), 120, step=3)
        assert "delegate=a human" in lab.sh("node1", "pcs stonith history show node3").stdout
    finally:
        lab.sh("node1", "pcs property set stonith-enabled=false; "
                        "pcs stonith delete fence-lab; crm_resource --wait --timeout=60s",
               check=False)
