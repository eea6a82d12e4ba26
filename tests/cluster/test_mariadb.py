"""Lesson 7.3.2's MariaDB section on the namespace cluster: the page's own commands.

The commands are read from docs/licoes/7.3-integracoes/bancos-de-dados.md, so the test fails
when the page changes them. Two substitutions only: the page's subnet (192.168.213, nslab's
default) becomes the test lab's, and its data directory /var/lib/mysql-lab becomes one per
test lab. That directory is on this machine's disk, seen by both nodes (the page's "shared
disk"); /run/mysqld, where the pid file and the socket live, is private to each node.
MariaDB comes from scripts/bootstrap.sh: nothing is installed here.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, TEST_LAB, Lab
from tests.site.pagecommands import page_block, record_executed

PAGE = ROOT / "docs" / "licoes" / "7.3-integracoes" / "bancos-de-dados.md"
DATADIR = Path(f"/var/lib/mysql-labcheck-{TEST_LAB}")
QUERY = ('mysql -h 192.168.213.120 -u app -papp-senha '
         '-e "SELECT @@hostname, item FROM loja.pedidos"')


def page_text() -> str:
    return PAGE.read_text(encoding="utf-8")


def run_page_block(lab: Lab, node: str, containing: str) -> str:
    """The page's block with that text, run on a node of the lab; the tally counts it."""
    block = page_block(PAGE, containing)
    lab.sh(node, "set -e\n" + for_lab(lab, block.text))
    record_executed(block.digest, "test_mariadb")
    return block.text


def for_lab(lab: Lab, text: str) -> str:
    return text.replace("192.168.213.", f"{lab.subnet}.").replace("/var/lib/mysql-lab",
                                                                   str(DATADIR))


def running_on(lab: Lab) -> str:
    out = lab.sh("node1", "crm_resource --locate -r db-mysql").stdout
    nodes = re.findall(r"running on: (\S+)", out)
    assert len(nodes) == 1, out
    return nodes[0]


@pytest.fixture(scope="module", autouse=True)
def mariadb_installed():
    if not Path("/usr/sbin/mariadbd").exists():
        pytest.fail("falta o MariaDB nesta máquina: rode scripts/bootstrap.sh")
    shutil.rmtree(DATADIR, ignore_errors=True)
    yield
    shutil.rmtree(DATADIR, ignore_errors=True)


def test_group_answers_on_the_vip_and_fails_over_with_its_data(clean_lab: Lab):
    shutil.rmtree(DATADIR, ignore_errors=True)
    setup = page_block(PAGE, "mariadb-install-db").text
    assert "crm_resource --wait --timeout=180s" in setup
    run_page_block(clean_lab, "node1", "mariadb-install-db")
    try:
        status = clean_lab.sh("node1", "pcs status resources").stdout
        active = running_on(clean_lab)
        other = "node2" if active == "node1" else "node1"
        assert re.search(rf"db-mysql\s+\(ocf:heartbeat:mysql\):\s+Started {active}", status), \
            status
        # mysqld runs as the mysql user (its pid file is in the node's own /run/mysqld)
        assert clean_lab.sh(active, "ps -o user= -p $(cat /run/mysqld/mysqld.pid)") \
            .stdout.split() == ["mysql"]
        # the monitor queries the server: OCF_CHECK_LEVEL is on the monitor operation
        assert "OCF_CHECK_LEVEL=10" in clean_lab.sh("node1", "pcs resource config db-mysql").stdout

        run_page_block(clean_lab, active, "CREATE USER app@")
        assert QUERY in page_text()
        query = for_lab(clean_lab, QUERY)
        before = clean_lab.sh(other, query).stdout.split()
        assert before == ["@@hostname", "item", active, "teclado"], before
        record_executed(page_block(PAGE, QUERY).digest, "test_mariadb")

        clean_lab.sh("node1", f"pcs node standby {active} && crm_resource --wait --timeout=180s")
        assert running_on(clean_lab) == other
        after = clean_lab.sh(active, query).stdout.split()
        assert after == ["@@hostname", "item", other, "teclado"], after

        # The page's trap: a second mariadbd on the same data directory is refused by InnoDB's
        # lock (same kernel); the cluster's copy keeps answering.
        second = clean_lab.sh(active, f"timeout 120 su mysql -s /bin/sh -c 'mariadbd "
                                      f"--no-defaults --datadir={DATADIR} "
                                      "--socket=/run/mysqld/segundo.sock "
                                      "--pid-file=/run/mysqld/segundo.pid --skip-networking'",
                              check=False)
        assert second.returncode not in (0, 124), second
        assert "Unable to lock ./ibdata1" in second.stderr + second.stdout, second
        assert clean_lab.sh(active, query).stdout.split()[2:] == [other, "teclado"]
    finally:
        clean_lab.sh("node1", "pcs node unstandby --all; pcs resource disable db"
                              " && crm_resource --wait --timeout=180s", check=False)


def test_promotable_clone_commands_are_accepted_by_pcs(clean_lab: Lab):
    """Replication is not run on this lab (the page says so); pcs checks the commands."""
    block = page_block(PAGE, "replication_user=replicador").text
    cib = "/var/lib/pacemaker/mariadb-promotable.xml"  # private to node1
    script = "set -e\ncibadmin -Q > {}\n{}".format(
        cib, for_lab(clean_lab, block).replace("pcs ", f"pcs -f {cib} "))
    try:
        run = clean_lab.sh("node1", script)
        assert "deprecated" not in run.stderr, run.stderr
        config = clean_lab.sh("node1", f"pcs -f {cib} resource config db-clone").stdout
        assert "promotable=true" in config and "replication_user=replicador" in config, config
        constraints = clean_lab.sh("node1", f"pcs -f {cib} constraint").stdout
        assert "promote db-clone then start db-ip" in constraints, constraints
    finally:
        clean_lab.sh("node1", f"rm -f {cib}", check=False)
