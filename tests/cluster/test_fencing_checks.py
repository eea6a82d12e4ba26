"""The grader's fencing checks on real fencing: fence_nslab on the namespace lab.

`fencing_configured` and `crash_was_fenced` are not in an exercise yet (exercise 1 gets
them with the Vagrant lab's SBD, issue #15); here a one-off exercise file in a temporary
LABCHECK_LABS_DIR names them, and the real `labcheck` grades the lab through its single
SSH exec per node, as a student would run it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cluster.test_fencing_nslab import fencing_lab, history  # noqa: F401
from tests.conftest import Graded, Lab, wait_for

pytestmark = pytest.mark.cluster

EXERCISE = """
id: exercise90
title: "Fencing (teste)"
lesson: "7.1"
summary: "Fencing configurado e exercido."
steps:
  - id: fencing-configured
    title: "Fencing ativo"
    points: 10
    check: fencing_configured
    hint: "pcs stonith create fence-lab fence_nslab; pcs property set stonith-enabled=true"
  - id: crash-fenced
    title: "A queda foi cercada pelo cluster"
    points: 10
    check: crash_was_fenced
    hint: "Derrube o nó e espere o fencing."
"""


@pytest.fixture
def labs_dir(tmp_path: Path) -> Path:
    (tmp_path / "exercise90.yaml").write_text(EXERCISE)
    return tmp_path


def grade(lab: Lab, labs_dir: Path) -> Graded:
    return lab.labcheck("exercise90", env={"LABCHECK_LABS_DIR": str(labs_dir)})


def test_no_fencing_is_said_plainly(clean_lab: Lab, labs_dir: Path):
    graded = grade(clean_lab, labs_dir)
    assert graded.code == 1
    assert graded.check("fencing-configured")["message"] == \
        "Nenhum dispositivo de fencing (recurso stonith) na CIB."
    assert "Nenhum fencing" in graded.check("crash-fenced")["message"]


def test_a_crash_the_cluster_fenced_passes(fencing_lab: Lab, labs_dir: Path):  # noqa: F811
    lab = fencing_lab
    graded = grade(lab, labs_dir)
    configured = graded.check("fencing-configured")
    assert configured["status"] == "pass", configured
    assert "fence-lab (fence_nslab)" in configured["message"]

    # fencing asked by hand is not the crash of step 7
    lab.sh("node1", "pcs stonith fence node2")
    wait_for("node2 fenced by hand", lambda: any(e.succeeded for e in history(lab, "node2")))
    by_hand = grade(lab, labs_dir).check("crash-fenced")
    assert by_hand["status"] == "fail" and "pedido à mão" in by_hand["message"]

    # a crash nobody announced: the cluster fences node2 itself
    wait_for("node2 back", lambda: "node2" in lab.sh(
        "node1", "crm_node -l", check=False).stdout and "Online: [ node1 node2 ]" in lab.sh(
        "node1", "crm_mon -1", check=False).stdout, timeout=120)
    lab.nslab("crash-node", "node2")
    wait_for("node2 fenced by the cluster",
             lambda: any(e.asked_by_cluster and e.succeeded for e in history(lab, "node2")),
             timeout=120)
    crashed = grade(lab, labs_dir).check("crash-fenced")
    assert crashed["status"] == "pass", crashed
    assert "O cluster cercou node2 sozinho (reboot, executado por node1" in crashed["message"]

    # the device is still there, but the cluster is told not to use it
    lab.sh("node1", "pcs property set stonith-enabled=false")
    off = grade(lab, labs_dir).check("fencing-configured")
    assert off["status"] == "fail" and "stonith-enabled=false" in off["message"]
    assert off["hint"].startswith("pcs property set stonith-enabled=true")
