"""The exercise notebooks executed with nbclient, as a student would run them top to bottom.

Each notebook runs against the namespace lab (its Vagrant-only cells say they are skipped):
no cell may raise, and the last cell shows the grader's table — approved for exercises 2
3, 4 and 5, whose nslab cells solve them; exercise 1 needs VMs, so it stays failed. The
notebook files themselves must be clean nbformat 4. `make e2e` runs the Vagrant path.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat import NotebookNode

from tests.conftest import ROOT, TEST_SUBNET, Lab
from tests.site.pagecommands import file_key, record_executed

NOTEBOOKS = ROOT / "labs" / "notebooks"
EXERCISES = {f"exercicio{n}.ipynb": f"exercise{n}" for n in (1, 2, 3, 4, 5)}


def execute(nb: NotebookNode, monkeypatch: pytest.MonkeyPatch, inventory: Path,
            known_hosts: Path) -> NotebookNode:
    # The kernel inherits this environment: the lab is found as labcheck finds it.
    monkeypatch.setenv("LABCHECK_INVENTORY", str(inventory))
    monkeypatch.setenv("LABCHECK_KNOWN_HOSTS", str(known_hosts))
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError on the first cell that raises
    return nb


def outputs_text(cell: NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        assert output.output_type != "error", f"{cell.source}\n{output}"
        if output.output_type == "stream":
            parts.append(output.text)
        else:
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "".join(parts)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_notebook_files_are_clean_nbformat4_in_ptbr(name: str):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, cell.source
    assert code[0].source == "%load_ext checker.jupyter"
    assert code[-1].source == f"%labcheck {EXERCISES[name]}"
    assert nb.cells[0].source.startswith(f"# Exercício {name[-7]} — ")
    assert "jupyter lab labs/notebooks" in "".join(c.source for c in nb.cells)
    # apt-get inside namespace-lab nodes would change the host's own packages
    for cell in code:
        if "apt-get" in cell.source:
            assert cell.source.splitlines()[0].endswith("--lab vagrant"), cell.source


def test_exercise2_notebook_top_to_bottom_on_the_namespace_lab(clean_lab: Lab, monkeypatch):
    nb = nbformat.read(NOTEBOOKS / "exercicio2.ipynb", as_version=4)
    execute(nb, monkeypatch, clean_lab.inventory, clean_lab.known_hosts)
    code = [c for c in nb.cells if c.cell_type == "code"]
    texts = [outputs_text(c) for c in code]
    for cell, text in zip(code, texts, strict=True):
        assert "Traceback" not in text, f"{cell.source}\n{text}"
    # Vagrant-only cells (apt-get, pcsd, pcs cluster node add-remote) were skipped here.
    skipped = [c.source for c, t in zip(code, texts, strict=True)
               if "célula só para o laboratório Vagrant; pulada" in t]
    assert any("apt-get install" in s for s in skipped)
    assert any("add-remote" in s for s in skipped)
    assert f"LAB_SUBNET = '{TEST_SUBNET}'" in "".join(texts)
    html = code[-1].outputs[0].data["text/html"]
    assert "<table class='labcheck-table'>" in html
    assert "Resultado: 95/95 pontos — APROVADO" in html
    # and the command-line grader agrees
    assert clean_lab.labcheck("exercise2").code == 0
    record_executed(file_key(NOTEBOOKS / "exercicio2.ipynb"), "test_notebooks (nslab)")


@pytest.mark.parametrize(("name", "verdict"), [("exercicio1.ipynb", "pendente(s)"),
                                               ("exercicio3.ipynb", "APROVADO"),
                                               ("exercicio4.ipynb", "APROVADO"),
                                               ("exercicio5.ipynb", "APROVADO")])
def test_notebook_top_to_bottom_on_the_namespace_lab(name: str, verdict: str, clean_lab: Lab,
                                                     monkeypatch):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    execute(nb, monkeypatch, clean_lab.inventory, clean_lab.known_hosts)
    code = [c for c in nb.cells if c.cell_type == "code"]
    texts = [outputs_text(c) for c in code]
    for cell, text in zip(code, texts, strict=True):
        assert "Traceback" not in text, f"{cell.source}\n{text}"
        assert "o comando terminou com código" not in text, f"{cell.source}\n{text}"
    html = code[-1].outputs[0].data["text/html"]
    assert "<table class='labcheck-table'>" in html
    assert verdict in html, html
    record_executed(file_key(NOTEBOOKS / name), "test_notebooks (nslab)")


def test_unreachable_node_in_a_notebook_cell(lab: Lab, tmp_path, monkeypatch):
    # The lab subnet's .99: on the lab's own bridge, where no host answers.
    address = f"{TEST_SUBNET}.99"
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(lab.inventory.read_text().replace(lab.address("node1"), address))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in (
        "%load_ext checker.jupyter",
        "%config LabMagics.connect_timeout = 3",
        "%%node node1\nhostname",
        "%%node node1 node2\nhostname",
        "%labcheck exercise2",
    )]
    execute(nb, monkeypatch, inventory, lab.known_hosts)
    texts = [outputs_text(c) for c in nb.cells]
    for text in texts:
        assert "Traceback" not in text, text
    reasons = (f"sem rota até root@{address}:22 (o nó está ligado? o endereço está certo?).",
               f"tempo esgotado ao conectar em root@{address}:22.")
    single = nb.cells[2].outputs
    assert [o.name for o in single] == ["stderr"]
    assert single[0].text in {f"✘ node1: {r}\n" for r in reasons}
    assert "node2\n" in texts[3] and any(r in texts[3] for r in reasons)
    assert any(f"<b>Atenção:</b> node1: {r}" in texts[4] for r in reasons)
