"""Exercise 4 on the namespace cluster: the course's OCF agent, its mistakes, its recovery.

Each node of the namespace lab has its own /usr/lib/ocf/resource.d (labs/nslab), so an
agent installed on one node only is missing on the other, as on separate machines.
"""

from __future__ import annotations

from tests.conftest import AGENT_ON_NODE, Lab, install_course_agent

RESOURCE = ("pcs resource create app ocf:labcheck:labapp port=8080 "
            "op monitor interval=10s timeout=20s")


def test_fresh_lab_fails_with_the_first_thing_to_do(clean_lab: Lab):
    graded = clean_lab.labcheck("exercise4")
    assert graded.code == 1
    assert graded.check("agent-installed")["message"].startswith("Nenhum agente OCF próprio")
    assert "install -D -m 0755 /srv/lab/agents/labapp" in graded.check("agent-installed")["hint"]
    assert graded.check("agent-metadata")["hint"].startswith("Instale o agente primeiro")
    assert graded.status("recovered") == "fail"


def test_solution_passes_and_reset_brings_the_failure_back(clean_lab: Lab, tmp_path):
    clean_lab.solve("exercise4")
    graded = clean_lab.labcheck("exercise4")
    assert graded.code == 0, graded.stdout
    assert graded.json["score"] == 110  # with the bonus
    recovered = graded.check("recovered")["message"]
    assert "7 (não está rodando)" in recovered and "o cluster o reiniciou" in recovered
    assert "(7 em node" in graded.check("probe-not-running")["message"]

    env = {"HOME": str(tmp_path)}
    # the lab's own starting point: labcheck start saves it, then the solution, then reset
    clean_lab.sh("node1", "pcs resource delete app --force && crm_resource --wait "
                          "--timeout=60s && rm -f /var/lib/pacemaker/labcheck/exercise4*")
    clean_lab.sh("node2", "rm -f /var/lib/pacemaker/labcheck/exercise4*")
    assert clean_lab.labcheck("start", "exercise4", fmt="", env=env).code == 0
    clean_lab.sh("node1", f"{RESOURCE} && crm_resource --wait --timeout=60s")
    assert clean_lab.labcheck("exercise4").status("agent-resource") == "pass"
    reset = clean_lab.labcheck("reset", "exercise4", "--yes", fmt="", env=env)
    assert reset.code == 0, reset.stdout + reset.stderr
    graded = clean_lab.labcheck("exercise4")
    assert graded.code == 1
    assert graded.status("agent-resource") == "fail"


def test_agent_on_one_node_only(clean_lab: Lab):
    install_course_agent(clean_lab, ("node1",))
    check = clean_lab.labcheck("exercise4").check("agent-installed")
    assert check["status"] == "fail"
    assert "só está em node1; falta em node2" in check["message"]
    assert "install -D -m 0755" in check["hint"]
    # pcs on node1 accepts it; the probe on node2 says "not installed"
    clean_lab.sh("node1", f"{RESOURCE} && crm_resource --wait --timeout=60s; true")
    check = clean_lab.labcheck("exercise4").check("probe-not-running")
    assert "devolveu 5 (não instalado) em node2" in check["message"], check


def test_agent_not_executable_or_different(clean_lab: Lab):
    install_course_agent(clean_lab)
    clean_lab.sh("node2", f"chmod 0644 {AGENT_ON_NODE}")
    check = clean_lab.labcheck("exercise4").check("agent-installed")
    assert "não é executável em node2" in check["message"] and "chmod 0755" in check["hint"]
    clean_lab.sh("node2", f"chmod 0755 {AGENT_ON_NODE} && echo '# editado' >> {AGENT_ON_NODE}")
    check = clean_lab.labcheck("exercise4").check("agent-installed")
    assert "difere entre os nós" in check["message"]


def test_metadata_that_does_not_parse_and_missing_validate_all(clean_lab: Lab):
    install_course_agent(clean_lab)
    # the meta-data's XML cut in the middle (a typo that breaks the document)
    for node in ("node1", "node2"):
        clean_lab.sh(node, f"sed -i 's|^</resource-agent>$|</resource-agen>|' {AGENT_ON_NODE}")
    check = clean_lab.labcheck("exercise4").check("agent-metadata")
    assert check["status"] == "fail"
    assert "XML inválido" in check["message"] and "ocf-tester" in check["hint"]

    install_course_agent(clean_lab)
    for node in ("node1", "node2"):
        clean_lab.sh(node, f"sed -i '/<action name=\"validate-all\"/d' {AGENT_ON_NODE}")
    check = clean_lab.labcheck("exercise4").check("agent-metadata")
    assert "não declara a ação validate-all" in check["message"]
    assert "Implemente validate-all" in check["hint"]


def test_monitor_that_says_error_instead_of_not_running(clean_lab: Lab):
    """The classic mistake: `monitor` exits 1 when the application is not running. The probe
    on the node where it does not run then reports an error, not a stopped resource."""
    install_course_agent(clean_lab)
    for node in ("node1", "node2"):
        # monitor: "not running" becomes 1; start (which calls monitor) takes 1 as stopped
        clean_lab.sh(node, "sed -i -e 's|^\\t\\treturn $OCF_NOT_RUNNING$|\\t\\treturn $OCF_ERR_GENERIC|' "
                           "-e 's|^\\t\\t\"$OCF_NOT_RUNNING\") ;;$|"
                           "\\t\\t\"$OCF_NOT_RUNNING\"\\|\"$OCF_ERR_GENERIC\") ;;|' "
                           f"{AGENT_ON_NODE} && grep -c '\"|\"$OCF_ERR_GENERIC\")' {AGENT_ON_NODE}")
    clean_lab.sh("node1", f"{RESOURCE} && crm_resource --wait --timeout=60s; true")
    check = clean_lab.labcheck("exercise4").check("probe-not-running")
    assert check["status"] == "fail", check
    assert "devolveu 1 (erro genérico), não 7" in check["message"]
    assert "OCF_NOT_RUNNING (7)" in check["hint"] and "pcs resource cleanup app" in check["hint"]


def test_no_fault_yet_says_how_to_cause_one(clean_lab: Lab):
    install_course_agent(clean_lab)
    clean_lab.sh("node1", f"{RESOURCE} && crm_resource --wait --timeout=60s")
    graded = clean_lab.labcheck("exercise4")
    assert graded.status("agent-resource") == "pass"
    assert graded.status("failure-policy-bonus") == "fail"
    check = graded.check("recovered")
    assert check["message"].startswith("Nenhuma falha de monitor no histórico de app")
    assert 'pkill -f' in check["hint"]


def test_the_remote_node_of_exercise2_needs_the_agent_too(clean_lab: Lab):
    # A student who did exercise 2 first: node3 is a remote node, and the cluster probes it.
    clean_lab.solve("exercise2")
    install_course_agent(clean_lab)  # node1 and node2 only
    clean_lab.sh("node1", f"{RESOURCE} && crm_resource --wait --timeout=60s; true")
    check = clean_lab.labcheck("exercise4").check("probe-not-running")
    assert check["status"] == "fail"
    assert "devolveu 5 (não instalado) em node3, nó remoto" in check["message"], check
    assert "também em node3" in check["hint"] and "cleanup app" in check["hint"]

    clean_lab.sh("node1", "pcs resource delete app --force && crm_resource --wait --timeout=60s")
    clean_lab.solve("exercise4")  # installs on node1, node2 and node3
    graded = clean_lab.labcheck("exercise4")
    assert graded.code == 0, graded.stdout
    assert "node3" in graded.check("probe-not-running")["message"]
