"""The notebook magics (%%node, %labcheck, %lab) on a real IPython shell.

The first tests need no lab (argument errors, unknown nodes, the HTML table from a saved
CIB); the others run against the namespace lab from tests/conftest.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import CapturedIO, capture_output
from traitlets.config import Config

from checker.exercises import load_exercise
from checker.gather import facts_from_cib_file
from checker.grading import grade
from checker.jupyter import LabMagics, render_html
from checker.report import to_dict
from tests.conftest import ROOT, Lab

FIXTURES = ROOT / "tests" / "fixtures" / "pacemaker-2.1.5"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def shell() -> Iterator[InteractiveShell]:
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    ip = InteractiveShell.instance(config=config)
    ip.run_line_magic("load_ext", "checker.jupyter")
    yield ip
    ip.run_line_magic("unload_ext", "checker.jupyter")


@pytest.fixture
def magics(shell: InteractiveShell) -> LabMagics:
    found = shell.magics_manager.registry["LabMagics"]
    assert isinstance(found, LabMagics)
    return found


@pytest.fixture
def on_lab(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> Lab:
    monkeypatch.setenv("LABCHECK_INVENTORY", str(lab.inventory))
    monkeypatch.setenv("LABCHECK_KNOWN_HOSTS", str(lab.known_hosts))
    return lab


def run(shell: InteractiveShell, source: str) -> CapturedIO:
    """Run a cell as the notebook would; it must never raise nor print a traceback."""
    with capture_output() as out:
        result = shell.run_cell(source)
    text = out.stdout + out.stderr
    assert result.error_before_exec is None, text
    assert result.error_in_exec is None, text
    assert "Traceback" not in text, text
    return out


def write_inventory(path: Path) -> Path:
    # TEST-NET addresses: these tests stop before connecting, and must.
    path.write_text("all:\n  children:\n"
                    "    cluster: {hosts: {node1: {ansible_host: 192.0.2.11}, "
                    "node2: {ansible_host: 192.0.2.12}}}\n"
                    "    remote: {hosts: {node3: {ansible_host: 192.0.2.13}}}\n")
    return path


# -- without a lab ------------------------------------------------------------------------


def test_html_table_from_a_graded_saved_cib():
    exercise = load_exercise("exercise2")
    report = grade(exercise, facts_from_cib_file(FIXTURES / "cib-fresh.xml"))
    html = render_html(to_dict(report))
    assert "<table class='labcheck-table'>" in html
    assert [h.split("'>")[1] for h in re.findall(r"<th [^<]*", html)] == [
        "Passo", "Situação", "Pontos", "Mensagem"]
    assert html.count("<tr><td") == len(exercise.steps)
    assert "1. Cluster ativo: todos os nós online" in html
    assert "não verificável" in html  # live-only steps cannot be judged from a saved CIB
    assert "Resultado: " in html


def test_html_table_statuses_colours_and_escaping():
    check = {"required": True, "points": 0, "max_points": 10, "hint": ""}
    data = {
        "title": "Exercício <X>", "source": "inv.yaml", "passed": False, "score": 5,
        "max_score": 25, "problems": ["node3: sem rota até root@10.0.0.13:22."],
        "checks": [
            {**check, "title": "ok", "status": "pass", "points": 5, "max_points": 5,
             "message": "tudo <certo>"},
            {**check, "title": "falha", "status": "fail", "message": "m", "hint": "faça <isto>"},
            {**check, "title": "sem lab", "status": "skip", "message": "m"},
            {**check, "title": "erro", "status": "error", "message": "m", "hint": "h"},
            {**check, "title": "bônus", "status": "fail", "required": False, "message": "m"},
        ],
    }
    html = render_html(data)
    rows = html.split("<tr><td")[1:]
    assert "#1a7f37" in rows[0] and "✔" in rows[0] and "5/5" in rows[0]
    assert "#cf222e" in rows[1] and "✘" in rows[1] and "falhou" in rows[1]
    assert "<b>Dica:</b> faça &lt;isto&gt;" in rows[1]
    assert "–" in rows[2] and "não verificável" in rows[2]
    assert "!" in rows[3] and "erro" in rows[3]
    assert "⚠" in rows[4] and "aviso" in rows[4] and "0/10 (bônus)" in rows[4]
    assert "tudo &lt;certo&gt;" in html and "Exercício &lt;X&gt;" in html
    assert "<b>Atenção:</b> node3: sem rota" in html
    assert "Resultado: 5/25 pontos — 2 passo(s) obrigatório(s) pendente(s)" in html
    assert "(1 passo(s) não verificável(is) aqui)" in html


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("%%node\nhostname", "%%node: erro: faltam os argumentos: NÓ"),
        ("%%node node1 --lab outro\nhostname", "argumento --lab: opção inválida: 'outro'"),
        ("%%node node1 --nada\nhostname", "argumentos não reconhecidos: --nada"),
        ("%%node 'node1\nhostname", "argumentos mal formados"),
        ("%labcheck", "%labcheck: erro: faltam os argumentos: EXERCÍCIO"),
        ("%labcheck exercise9", "Exercício desconhecido: 'exercise9'. Disponíveis: exercise1"),
        ("%labcheck exercise2 --format pdf", "argumento --format: opção inválida: 'pdf'"),
    ],
)
def test_usage_errors_are_one_ptbr_message(shell, source, message):
    out = run(shell, source)
    assert message in out.stderr
    assert out.stderr.startswith("✘ ")


def test_unknown_node_lists_the_inventory(shell, tmp_path, monkeypatch):
    monkeypatch.setenv("LABCHECK_INVENTORY", str(write_inventory(tmp_path / "inv.yaml")))
    out = run(shell, "%%node node9\nhostname")
    assert f"nó desconhecido: node9. Nós do laboratório ({tmp_path / 'inv.yaml'}): " \
           "node1, node2, node3." in out.stderr


def test_missing_python_variable_for_env(shell, tmp_path, monkeypatch):
    monkeypatch.setenv("LABCHECK_INVENTORY", str(write_inventory(tmp_path / "inv.yaml")))
    shell.user_ns.pop("NAO_DEFINIDA", None)
    out = run(shell, "%%node node1 --env NAO_DEFINIDA\necho $NAO_DEFINIDA")
    assert "a variável Python NAO_DEFINIDA não existe" in out.stderr


def test_no_lab_found(shell, tmp_path, monkeypatch):
    monkeypatch.setenv("LABCHECK_INVENTORY", str(tmp_path / "nenhum.yaml"))
    for source in ("%%node node1\nhostname", "%labcheck exercise2", "%lab"):
        out = run(shell, source)
        assert f"Inventário não encontrado: {tmp_path / 'nenhum.yaml'}" in out.stderr, source


def test_lab_shows_where_the_nodes_are(shell, tmp_path, monkeypatch):
    monkeypatch.setenv("LABCHECK_INVENTORY", str(write_inventory(tmp_path / "inv.yaml")))
    out = run(shell, "%lab")
    assert f"Laboratório: {tmp_path / 'inv.yaml'}" in out.stdout
    assert re.search(r"node3\s+remote\s+root@192\.0\.2\.13:22", out.stdout)


def test_timeouts_are_configurable(shell, magics):
    run(shell, "%config LabMagics.connect_timeout = 2.5")
    try:
        assert magics.connect_timeout == 2.5
    finally:
        magics.connect_timeout = 10.0


# -- on the namespace lab -----------------------------------------------------------------


def test_output_in_terminal_order_and_exit_status_reported(shell, on_lab):
    out = run(shell, "%%node node1\necho um\necho dois >&2\necho três\nexit 3")
    assert out.stdout == "um\ndois\ntrês\n"
    assert out.stderr == "✘ node1: o comando terminou com código 3.\n"


def test_success_prints_only_the_output(shell, on_lab):
    out = run(shell, "%%node node2\nhostname\ntest \"$(id -u)\" = 0 && echo root")
    assert out.stdout == "node2\nroot\n"
    assert out.stderr == ""


def test_one_connection_per_node_kept_and_reopened(shell, magics, on_lab):
    run(shell, "%%node node1\ntrue")
    first = magics._sessions["node1"]
    run(shell, "%%node node1\ntrue")
    assert magics._sessions["node1"] is first
    first.close()  # the connection drops
    out = run(shell, "%%node node1\nhostname")
    assert out.stdout == "node1\n"
    assert magics._sessions["node1"] is not first


def test_unreachable_node_then_back(shell, magics, on_lab):
    run(shell, "%%node node2\ntrue")
    on_lab.nslab("stop-sshd", "node2")  # stops the listener; open connections go on
    magics._sessions["node2"].close()  # so drop ours: the next cell must reconnect
    try:
        out = run(shell, "%%node node2\nhostname")
        assert out.stdout == ""
        address = on_lab.address("node2")
        assert out.stderr == (f"✘ node2: conexão recusada em root@{address}:22 "
                              "(o sshd está rodando?).\n")
    finally:
        on_lab.nslab("start-sshd", "node2")
    assert run(shell, "%%node node2\nhostname").stdout == "node2\n"


def test_several_nodes_one_header_each(shell, on_lab):
    out = run(shell, "%%node node1 node2 node3\nhostname")
    assert out.stdout == "── node1 ──\nnode1\n── node2 ──\nnode2\n── node3 ──\nnode3\n"


def test_out_and_env_carry_values_between_cells(shell, on_lab):
    out = run(shell, "%%node node1 --out VALOR\nprintf 'it'\"'\"'s $HOME\\n'\necho aviso >&2")
    assert shell.user_ns["VALOR"] == "it's $HOME"
    assert "VALOR = \"it's $HOME\"" in out.stdout
    assert "aviso" in out.stderr  # stderr is not captured into the variable
    out = run(shell, '%%node node3 --env VALOR\necho "[$VALOR]"')
    assert out.stdout == "[it's $HOME]\n"
    run(shell, "%%node node1 node2 --out NOMES\nhostname")
    assert shell.user_ns["NOMES"] == {"node1": "node1", "node2": "node2"}


def test_lab_option_skips_cells_for_the_other_lab(shell, on_lab):
    out = run(shell, "%%node node1 --lab vagrant\necho não-deveria-rodar")
    assert "não-deveria-rodar" not in out.stdout
    assert ("– node1: célula só para o laboratório Vagrant; pulada "
            "(este é o laboratório em namespaces).") in out.stdout
    out = run(shell, "%%node node1 --lab nslab\necho rodou")
    assert out.stdout == "rodou\n"
    # its --env variable comes from a cell that was skipped too: no error (seen on the
    # Vagrant lab with exercicio2.ipynb's namespace-only authkey cells)
    shell.user_ns.pop("SO_NO_OUTRO", None)
    out = run(shell, "%%node node1 --lab vagrant --env SO_NO_OUTRO\necho $SO_NO_OUTRO")
    assert "pulada" in out.stdout and out.stderr == ""


def test_labcheck_shows_the_report_as_an_html_table(shell, on_lab):
    on_lab.nslab("reset")
    out = run(shell, "%labcheck exercise2")
    assert len(out.outputs) == 1
    data = out.outputs[0].data
    html, text = data["text/html"], data["text/plain"]
    assert "<table class='labcheck-table'>" in html
    assert f"Laboratório: {on_lab.inventory}" in html
    assert "Resultado: 5/95 pontos — 5 passo(s) obrigatório(s) pendente(s)" in html
    assert "pacemaker-remoted não está rodando em node3." in html
    assert "Resultado: 5/95 pontos" in text  # plain-text fallback for other front ends


def test_labcheck_other_formats(shell, on_lab):
    out = run(shell, "%labcheck exercise2 --format text")
    assert "\x1b[" in out.stdout  # coloured: notebooks render ANSI colours
    assert "✔ 1. Cluster ativo: todos os nós online" in ANSI.sub("", out.stdout)
    out = run(shell, "%labcheck exercise2 --format json")
    assert json.loads(out.stdout)["exercise"] == "exercise2"


def test_labcheck_with_an_unreachable_node(shell, on_lab):
    on_lab.nslab("stop-sshd", "node3")
    try:
        out = run(shell, "%labcheck exercise2")
    finally:
        on_lab.nslab("start-sshd", "node3")
    html = out.outputs[0].data["text/html"]
    assert "<b>Atenção:</b> node3" in html
    assert "conexão recusada" in html
