"""known_hosts is parsed once per version of the file, and matched as paramiko matches."""

from __future__ import annotations

import os
from pathlib import Path

import paramiko

from checker.transport import _names_match, known_host_entries


def key_line(name: str) -> str:
    return f"{name} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"


def test_parsed_once_until_the_file_changes(tmp_path: Path):
    path = tmp_path / "known_hosts"
    path.write_text(key_line("[10.0.0.11]:22") + key_line("10.0.0.12"))
    first = known_host_entries(path)
    assert len(first) == 2 and known_host_entries(path) is first  # no second parse
    with path.open("a") as out:  # what --accept-new-host-keys does
        out.write(key_line("10.0.0.13"))
    os.utime(path, ns=(1, 1))
    again = known_host_entries(path)
    assert again is not first and len(again) == 3
    assert known_host_entries(tmp_path / "none") == []


def test_names_match_plain_and_hashed_forms():
    hashed = paramiko.HostKeys.hash_host("[127.0.0.1]:2222")
    assert _names_match(hashed, {"[127.0.0.1]:2222"})
    assert not _names_match(hashed, {"[127.0.0.1]:2223"})
    assert _names_match("node1", {"node1"}) and not _names_match("node10", {"node1"})
    for broken in ("|1|", "|1|zz|yy", "|1|AAAA|"):
        assert not _names_match(broken, {"node1"})
