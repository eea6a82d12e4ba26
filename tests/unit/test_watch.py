"""The watch loop: one round records every lab as it finishes; a folder that goes away is a
message on the board, not the end of the watcher."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from checker.gather import SshOptions
from checker.history import History
from checker.watch import Watcher
from tests.unit.classdata import EXERCISE2

REFUSED = """
all:
  children:
    cluster:
      hosts:
        node1: {ansible_host: 127.0.0.1, ansible_port: 1}
"""


def test_rounds_record_each_lab_and_survive_a_missing_folder(tmp_path: Path):
    folder = tmp_path / "turma"
    folder.mkdir()
    (folder / "ana.yaml").write_text(REFUSED)
    (folder / "davi.yaml").write_text("all: [\n")
    db = tmp_path / "h.sqlite3"
    watcher = Watcher(EXERCISE2, folder, SshOptions(known_hosts=tmp_path / "kh"), db, every=5)
    with History(db) as history:
        results = watcher.run_round(history)
        assert {r.student: r.status for r in results} == {"ana": "unreachable", "davi": "error"}
        state = watcher.state
        assert (state.number, state.graded, state.total, state.students) == (
            1, 2, 2, ("ana", "davi"))
        shutil.rmtree(folder)
        assert watcher.run_round(history) == []
        assert "não existe" in watcher.state.problem and watcher.state.number == 2
        assert history.summaries("exercise2")["ana"].attempts == 1


def test_stop_ends_the_loop_between_rounds(tmp_path: Path):
    folder = tmp_path / "turma"
    folder.mkdir()
    (folder / "ana.yaml").write_text(REFUSED)
    watcher = Watcher(EXERCISE2, folder, SshOptions(known_hosts=tmp_path / "kh"),
                      tmp_path / "h.sqlite3", every=60)
    thread = threading.Thread(target=watcher.run)
    thread.start()
    while watcher.state.finished_at is None:
        thread.join(0.05)
    watcher.stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive() and watcher.state.stopped
