"""ansible_become: a non-root SSH user whose reads go through `sudo -n`, on the real lab.

The lab's nodes share the host's /etc, so a user and a sudoers rule made here exist on
every node; the lab's sshd accepts the grader key for any user.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import Lab

WITH_SUDO, WITHOUT_SUDO = "lcbecome", "lcnosudo"
SUDOERS = Path("/etc/sudoers.d/labcheck-tests")


@pytest.fixture(scope="module")
def users():
    for user in (WITH_SUDO, WITHOUT_SUDO):
        # "*": no password, but not "locked" (sshd without PAM refuses locked accounts)
        subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", "-p", "*", user],
                       capture_output=True)
    SUDOERS.write_text(f"{WITH_SUDO} ALL=(root) NOPASSWD: ALL\n")
    SUDOERS.chmod(0o440)
    yield
    SUDOERS.unlink(missing_ok=True)
    for user in (WITH_SUDO, WITHOUT_SUDO):
        subprocess.run(["userdel", user], capture_output=True)


def inventory_for(lab: Lab, tmp_path: Path, user: str, become: bool) -> Path:
    text = lab.inventory.read_text().replace(
        "ansible_user: root", f"ansible_user: {user}, ansible_become: {str(become).lower()}")
    path = tmp_path / f"{user}.yaml"
    path.write_text(text)
    return path


def test_become_reads_what_only_root_can(clean_lab: Lab, users, tmp_path: Path):
    as_root = clean_lab.labcheck("exercise2")
    via_sudo = clean_lab.labcheck("exercise2",
                                  inventory=inventory_for(clean_lab, tmp_path, WITH_SUDO, True))
    assert via_sudo.code == as_root.code == 1
    assert via_sudo.json["checks"] == as_root.json["checks"]


def test_without_become_the_authkey_is_unreadable(clean_lab: Lab, users, tmp_path: Path):
    graded = clean_lab.labcheck("exercise2",
                                inventory=inventory_for(clean_lab, tmp_path, WITH_SUDO, False))
    message = graded.check("same-authkey")["message"]
    assert "ausente ou ilegível em node1, node2, node3" in message


def test_become_without_sudo_rights_is_a_clear_error(clean_lab: Lab, users, tmp_path: Path):
    graded = clean_lab.labcheck("exercise2",
                                inventory=inventory_for(clean_lab, tmp_path, WITHOUT_SUDO, True))
    assert graded.code == 3
    assert any("precisa de sudo sem senha" in p for p in graded.json["problems"])
