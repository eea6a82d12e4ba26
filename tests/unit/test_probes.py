"""The probe script is real shell: run it here with sh and parse what it prints."""

import re
import shlex
import subprocess

from checker.probes import PROBES, READ_ONLY_PROGRAMS, Probe, build_script, parse_output

SHELL_WORDS = {"if", "then", "else", "fi", "for", "in", "do", "done", "true", "while", "set",
               "continue"}


def run_locally(probes, env=None):
    script, marker = build_script(probes, env)
    done = subprocess.run(["sh", "-s"], input=script, capture_output=True, text=True, check=False)
    return parse_output(done.stdout, marker)


def test_outputs_and_exit_statuses_are_split_per_probe():
    probes = [
        Probe("a", frozenset({"cluster"}), "printf 'one\\ntwo'", ""),
        Probe("b", frozenset({"cluster"}), "echo boom >&2; exit 3", ""),
        Probe("c", frozenset({"cluster"}), "echo \"$LABCHECK_PEERS\"", ""),
    ]
    out = run_locally(probes, {"LABCHECK_PEERS": "node2 node3"})
    assert out["a"].text == "one\ntwo" and out["a"].ok
    assert out["b"].exit_status == 3 and out["b"].text == "boom"
    assert out["c"].text == "node2 node3"


def test_a_truncated_output_loses_only_the_unfinished_probe():
    probes = [Probe("a", frozenset({"cluster"}), "echo 1", ""),
              Probe("b", frozenset({"cluster"}), "echo 2", "")]
    script, marker = build_script(probes)
    full = subprocess.run(["sh", "-s"], input=script, capture_output=True, text=True).stdout
    cut = full[: full.rindex(f"{marker}-end b")]
    assert set(parse_output(cut, marker)) == {"a"}


def test_a_probe_cannot_fake_the_end_of_another():
    """A hostile cibadmin printing an end marker of its own: without the run's random token
    it is just text inside its probe."""
    probes = [Probe("a", frozenset({"cluster"}), "printf 'x\\n@@labcheck-end b 0\\n'", ""),
              Probe("b", frozenset({"cluster"}), "echo real", "")]
    out = run_locally(probes)
    assert out["a"].text == "x\n@@labcheck-end b 0" and out["b"].text == "real"


def test_peers_are_data_never_options_or_globs(tmp_path):
    """Peer names reach ssh after '--', one per line: '-oProxyCommand=…' or '*' stay names."""
    fake_ssh = tmp_path / "ssh"
    fake_ssh.write_text('#!/bin/sh\nfor a in "$@"; do printf "[%s]" "$a" >&2; done; exit 7\n')
    fake_ssh.chmod(0o755)
    peers = "-oProxyCommand=touch /tmp/pwned\n*\nnode2"
    script, marker = build_script([PROBES["ssh_peers"]], {"LABCHECK_PEERS": peers})
    script = script.replace("export PATH", f"PATH={tmp_path}:$PATH; export PATH", 1)
    done = subprocess.run(["sh", "-s"], input=script, capture_output=True, text=True,
                          cwd=tmp_path)
    lines = parse_output(done.stdout, marker)["ssh_peers"].text.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["-oProxyCommand=touch /tmp/pwned", "*",
                                                          "node2"]
    assert all("[--][-oProxyCommand=touch /tmp/pwned][true]" in line for line in lines[:1])


SEPARATORS = {";", "|", "||", "&&", "&", "(", ")", "do", "then", "else", "$"}


def _substitutions(token: str) -> list[str]:
    """Bodies of $(...) inside a (double-quoted) token."""
    bodies, i = [], token.find("$(")
    while i >= 0:
        depth, j = 1, i + 2
        while j < len(token) and depth:
            depth += {"(": 1, ")": -1}.get(token[j], 0)
            j += 1
        bodies.append(token[i + 2 : j - 1])
        i = token.find("$(", j)
    return bodies


def _command_words(command: str) -> set[str]:
    """First word of each simple command, including those inside $(...)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words: set[str] = set()
    expect_command, redirect_target = True, False
    for token in lexer:
        for body in _substitutions(token):
            words |= _command_words(body)
        if redirect_target:
            redirect_target = False
            continue
        if set(token) & set("<>"):
            redirect_target = True  # the next word is a file, not a command
            continue
        if token in SEPARATORS or set(token) <= set(";|&()"):
            expect_command = True
            continue
        if expect_command and not re.match(r"^[A-Za-z_]+=", token) and token not in {"for", "if"}:
            words.add(token)
            expect_command = False
        elif token in {"for", "if"}:
            expect_command = token == "if"
    return words


def test_every_probe_only_starts_read_only_programs():
    for probe in PROBES.values():
        words = _command_words(probe.command) - SHELL_WORDS
        assert words <= READ_ONLY_PROGRAMS, (probe.name, words - READ_ONLY_PROGRAMS)
        # what `timeout` runs is a program too, and crm_resource only shows meta-data
        for program in re.findall(r"\btimeout(?:\s+-\S+(?:\s+[0-9]+)?)*\s+[0-9]+\s+(\S+)",
                                  probe.command):
            assert program in READ_ONLY_PROGRAMS, (probe.name, program)
        for use in re.findall(r"\bcrm_resource\s+(\S+)", probe.command):
            assert use == "--show-metadata", (probe.name, use)
        # the fencer and the SBD disk are only ever read
        for use in re.findall(r"\bstonith_admin\s+(\S+)", probe.command):
            assert use == "--history", (probe.name, use)
        for use in re.findall(r"\bsbd\s+-d\s+\S+\s+(\S+)", probe.command):
            assert use in {"dump", "list"}, (probe.name, use)
        assert not re.search(r"(?<![/\w])sbd\s+(?!-d\b)", probe.command.replace("pidof sbd", "")), \
            probe.name


def test_probe_commands_are_valid_shell():
    for probe in PROBES.values():
        done = subprocess.run(["sh", "-n"], input=build_script([probe])[0], text=True,
                              capture_output=True)
        assert done.returncode == 0, (probe.name, done.stderr)
