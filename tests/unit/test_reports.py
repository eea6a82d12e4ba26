"""Report formats, produced by the real CLI on a CIB that real Pacemaker recorded."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checker.cli import main

BUSY = Path(__file__).resolve().parents[1] / "fixtures" / "pacemaker-2.1.5" / "cib-busy.xml"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_the_documented_shape(capsys):
    code, out, _ = run(capsys, "exercise2", "--cib", str(BUSY), "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert {"exercise", "passed", "score", "max_score", "checks"} <= set(report)
    for check in report["checks"]:
        assert {"id", "title", "status", "points", "message", "hint"} <= set(check)
        assert check["status"] in {"pass", "fail", "skip", "error"}
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    # only what a saved CIB can show is judged; the rest needs the live lab
    assert statuses["remote-resource"] == "pass"
    assert statuses["remoted-running"] == statuses["remote-online"] == "skip"
    assert report["max_score"] == 20 and report["score"] == 20


def test_junit_is_valid_xml_with_counts(capsys):
    code, out, _ = run(capsys, "exercise1", "--cib", str(BUSY), "--format", "junit")
    suite = ET.fromstring(out)
    assert suite.tag == "testsuite" and suite.get("name") == "labcheck.exercise1"
    cases = suite.findall("testcase")
    assert len(cases) == int(suite.get("tests")) == 9
    assert int(suite.get("failures")) == len([c for c in cases if c.find("failure") is not None])
    leftover = next(c for c in cases if c.get("name").startswith("no-leftover-constraints"))
    assert "pcs resource clear web" in leftover.find("failure").text
    assert code == 1  # no VirtualDomain resource in this CIB


def test_text_marks_each_step(capsys):
    _, out, _ = run(capsys, "exercise1", "--cib", str(BUSY))
    assert "✘ 4. Recurso VirtualDomain" in out
    assert "– 3. SSH sem senha" in out and "não verificável" in out
    assert "⚠ 9." in out and "cli-prefer-web" in out
    assert out.rstrip().splitlines()[-1].startswith("Resultado: ")


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["exercise2", "--format", "xml"], 2, "opção inválida"),
        (["exercise2", "--cib", "/nonexistent.xml"], 2, "Arquivo da CIB não encontrado"),
        (["--nope"], 2, "faltam os argumentos"),
    ],
)
def test_usage_errors_are_pt_br(capsys, args, code, fragment):
    got, _, err = run(capsys, *args)
    assert got == code and fragment in err and "Traceback" not in err


def test_help_is_pt_br(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("uso: labcheck") and "códigos de saída" in out
