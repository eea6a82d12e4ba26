"""Runs an exercise notebook top to bottom, as a student would, and says how it ended.

    .venv/bin/python labs/notebooks/run.py exercicio2.ipynb [--out PASTA]

The kernel finds the lab as labcheck does ($LABCHECK_INVENTORY, else the Vagrant lab in
vagrant/), so on the Vagrant lab the cells marked `--lab vagrant` run and the `--lab nslab`
ones are skipped. Exit 0 when no cell failed (no error output, no `%%node` command that
exited non-zero) and the last cell's grade says APROVADO (or fails only on a step the notebook
leaves to the student's machine: `host_action` in the exercise's YAML); 1 otherwise, naming the cell.
The executed notebook is saved in --out for reading. `make e2e` runs it on the Vagrant lab.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from checker.exercises import load_exercise

NOTEBOOKS = Path(__file__).resolve().parent
# How the magics report a problem (checker/jupyter.py): a command that exited non-zero, a
# node that could not be reached.
FAILED_COMMAND = re.compile(r"^✘ ", re.MULTILINE)


def cell_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append("\n".join(output.get("traceback", [])))
        else:
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "".join(parts)


def host_action_titles(notebook: str) -> list[str]:
    """The exercise's steps done on the student's own machine (`host_action` in its YAML):
    a notebook's cells run on the nodes, so it leaves them to the student (exercise 1's
    crash of node2 is typed on the host; the notebook's cell for it is commented out)."""
    number = re.fullmatch(r"exercicio(\d+)\.ipynb", notebook)
    if not number:
        return []
    exercise = load_exercise(f"exercise{number.group(1)}")
    return [step.title for step in exercise.steps if step.host_action]


def only_host_steps_left(notebook: str, report: str) -> bool:
    """The grade at the end of the notebook fails on host steps and nothing else."""
    failed = [line for line in report.splitlines() if line.lstrip().startswith("✘")]
    allowed = host_action_titles(notebook)
    return bool(failed) and all(any(title in line for title in allowed) for line in failed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", help="exercicio1.ipynb, exercicio2.ipynb, exercicio3.ipynb")
    parser.add_argument("--out", type=Path, default=Path("/var/tmp/labcheck-notebooks"))
    parser.add_argument("--timeout", type=int, default=1800, help="segundos por célula")
    args = parser.parse_args(argv)
    path = NOTEBOOKS / args.notebook
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=args.timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    problem = None
    try:
        client.execute()
    except CellExecutionError as exc:
        problem = f"uma célula levantou um erro: {str(exc).splitlines()[0]}"
    args.out.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, args.out / path.name)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code, 1):
        text = cell_text(cell)
        print(f"--- célula {number}: {cell.source.splitlines()[0] if cell.source else ''}")
        print(text.rstrip())
        if problem is None and (any(o.output_type == "error" for o in cell.get("outputs", []))
                                or FAILED_COMMAND.search(text)):
            problem = f"a célula {number} falhou: {cell.source.splitlines()[0]}"
    last = cell_text(code[-1]) if code else ""
    if problem is None and "APROVADO" not in last and not only_host_steps_left(path.name, last):
        problem = "a correção no fim do caderno não diz APROVADO"
    print(f"\ncaderno executado: {args.out / path.name}")
    if problem:
        print(f"FALHOU: {problem}")
        return 1
    print("OK: todas as células rodaram e o exercício foi aprovado")
    return 0


if __name__ == "__main__":
    sys.exit(main())
