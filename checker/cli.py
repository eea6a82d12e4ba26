"""The `labcheck` command: parses arguments, runs the grading, maps errors to exit codes."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from checker import __version__, argparse_ptbr
from checker.errors import (
    EXIT_CLUSTER_UNREADABLE,
    EXIT_PASSED,
    EXIT_STEP_FAILED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    LabcheckError,
    UsageError,
)
from checker.exercises import available, load_exercise
from checker.gather import SshOptions, facts_from_cib_file, gather
from checker.grading import Report, grade
from checker.inventory import (
    ENV_INVENTORY,
    resolve_inventory,
    to_ansible_yaml,
    vagrant_inventory,
)
from checker.report import write
from checker.transport import DEFAULT_KNOWN_HOSTS

EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70

DESCRIPTION = """\
Corrige os exercícios do Módulo 07 (Pacemaker) lendo o estado real do seu laboratório
por SSH. Nunca altera o cluster.

exemplos:
  labcheck list
  labcheck exercise1
  labcheck exercise2 --inventory aluno.yaml --format json
  labcheck exercise2 --cib cib-salva.xml      (só os passos de configuração)
  labcheck class exercise2 --inventories turma/ --out notas/   (a turma inteira)
  labcheck inventory --vagrant turma/ana > inventarios/ana.yaml (inventário de um lab Vagrant)
"""

EPILOG = f"""\
onde estão os nós: --inventory ARQUIVO, senão ${ENV_INVENTORY}, senão o laboratório Vagrant
em vagrant/ (vagrant ssh-config).

códigos de saída: 0 todos os passos obrigatórios ok · 1 algum passo falhou · 2 erro de uso,
inventário ou definição · 3 nó inacessível ou chave recusada · 4 Pacemaker ilegível em todos
os nós do cluster
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labcheck",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"labcheck {__version__}",
                        help="mostra a versão e sai")
    parser.add_argument("exercise", metavar="EXERCÍCIO",
                        help="exercise1, exercise2, exercise3 — ou 'list' para listá-los")
    parser.add_argument("-i", "--inventory", metavar="ARQUIVO",
                        help="inventário YAML no formato do Ansible")
    parser.add_argument("-f", "--format", choices=["text", "json", "junit"], default="text",
                        help="formato do relatório (padrão: text)")
    parser.add_argument("--cib", metavar="ARQUIVO", type=Path,
                        help="corrige uma CIB salva (pcs cluster cib > arquivo), sem SSH")
    add_ssh_arguments(parser)
    return parser


def add_ssh_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accept-new-host-keys", action="store_true",
                        help="registra chaves de host desconhecidas em known_hosts "
                             "(como StrictHostKeyChecking=accept-new); chaves que mudaram "
                             "continuam recusadas")
    parser.add_argument("--known-hosts", metavar="ARQUIVO", type=Path,
                        default=Path(os.environ.get("LABCHECK_KNOWN_HOSTS", DEFAULT_KNOWN_HOSTS)),
                        help="arquivo known_hosts (padrão: ~/.ssh/known_hosts)")
    parser.add_argument("--timeout", metavar="SEG", type=float, default=10.0,
                        help="tempo máximo para conectar a cada nó (padrão: 10)")


def ssh_options(args: argparse.Namespace) -> SshOptions:
    return SshOptions(known_hosts=args.known_hosts,
                      accept_new_host_keys=args.accept_new_host_keys,
                      connect_timeout=args.timeout)


CLASS_DESCRIPTION = """\
Corrige a turma inteira: cada NOME.yaml da pasta de inventários é o laboratório de um
aluno. Grava EXERCÍCIO.csv, .json e .html na pasta de saída.

exemplo:
  labcheck class exercise2 --inventories turma/ --out notas/ --jobs 8
"""


def build_class_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labcheck class", description=CLASS_DESCRIPTION,
        epilog="códigos de saída: 0 todos os laboratórios corrigidos · 2 erro de uso ou "
               "inventário de algum aluno · 3 algum laboratório inacessível",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exercise", metavar="EXERCÍCIO", help="exercise1, exercise2, exercise3")
    parser.add_argument("--inventories", metavar="PASTA", type=Path, required=True,
                        help="pasta com um inventário NOME.yaml por aluno")
    parser.add_argument("--out", metavar="PASTA", type=Path, required=True,
                        help="onde gravar a planilha (CSV), o JSON e o relatório HTML")
    parser.add_argument("-j", "--jobs", metavar="N", type=int, default=4,
                        help="laboratórios corrigidos ao mesmo tempo (padrão: 4); cada um "
                             "abre uma conexão SSH por nó")
    add_ssh_arguments(parser)
    return parser


def run_class(argv: Sequence[str]) -> int:
    from tqdm import tqdm

    from checker.class_report import STATUS_PT, summary_table, write_gradebook
    from checker.classroom import ERROR, UNREACHABLE, grade_class, student_inventories

    try:
        args = build_class_parser().parse_args(argv)
    except SystemExit as done:
        return int(done.code or 0)
    if args.jobs < 1:
        raise UsageError("--jobs precisa ser pelo menos 1.")
    exercise = load_exercise(args.exercise)
    inventories = student_inventories(args.inventories)
    # disable=None: a bar on a terminal, nothing when the output is a file or a pipe
    with tqdm(total=len(inventories), desc="corrigindo", unit="lab", disable=None,
              file=sys.stderr) as bar:
        def done(result) -> None:
            bar.set_postfix_str(f"{result.student}: {STATUS_PT[result.status]}")
            bar.update()

        results = grade_class(exercise, inventories, ssh_options(args), args.jobs, done)
    print(summary_table(results), end="")
    for path in write_gradebook(args.out, exercise, results):
        print(f"gravado: {path}")
    statuses = {r.status for r in results}
    if UNREACHABLE in statuses:
        return EXIT_UNREACHABLE
    return EXIT_USAGE if ERROR in statuses else EXIT_PASSED


def list_exercises() -> int:
    names = available()
    if not names:
        raise LabcheckError("Nenhum exercício encontrado (labs/exerciseN.yaml).")
    for name in names:
        exercise = load_exercise(name)
        points = sum(s.points for s in exercise.steps)
        print(f"{name:<10} {exercise.title} — {len(exercise.steps)} passos, {points} pontos")
    return EXIT_PASSED


def exit_code(report: Report, unreachable: bool, cluster_unreadable: bool) -> int:
    if unreachable:
        return EXIT_UNREACHABLE
    if cluster_unreadable:
        return EXIT_CLUSTER_UNREADABLE
    return EXIT_PASSED if report.passed else EXIT_STEP_FAILED


def run_inventory(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="labcheck inventory",
        description="Mostra, no formato de inventário do Ansible, o laboratório que o labcheck "
                    "encontra — por exemplo para gerar o inventário de cada aluno a partir do "
                    "vagrant ssh-config do laboratório dele.")
    parser.add_argument("--vagrant", metavar="PASTA", type=Path,
                        help="pasta com o Vagrantfile do laboratório (padrão: vagrant/)")
    parser.add_argument("-i", "--inventory", metavar="ARQUIVO")
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:
        return int(done.code or 0)
    if args.vagrant is not None:
        inventory = vagrant_inventory(args.vagrant)
    else:
        inventory = resolve_inventory(args.inventory)
    print(to_ansible_yaml(inventory), end="")
    return EXIT_PASSED


def run(argv: Sequence[str]) -> int:
    if argv and argv[0] == "class":
        return run_class(argv[1:])
    if argv and argv[0] == "inventory":
        return run_inventory(argv[1:])
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, --version, or a usage error already printed
        return int(done.code or 0)
    if args.exercise == "list":
        return list_exercises()
    exercise = load_exercise(args.exercise)
    if args.cib is not None:
        facts = facts_from_cib_file(args.cib)
    else:
        inventory = resolve_inventory(args.inventory)
        facts, _ = gather(inventory, exercise.needs, ssh_options(args))
    report = grade(exercise, facts)
    write(report, args.format)
    needs_cluster = bool(exercise.needs & {"cib", "status"})
    return exit_code(report, bool(facts.unreachable()),
                     needs_cluster and facts.cib is None and not facts.offline)


def main(argv: Sequence[str] | None = None) -> int:
    argparse_ptbr.install()
    # paramiko logs connection failures itself; we report them once, in pt-BR.
    logging.getLogger("paramiko").setLevel(logging.CRITICAL + 1)
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except LabcheckError as exc:
        print(f"labcheck: erro: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("labcheck: interrompido.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_PASSED
    except Exception:  # a bug in labcheck: say so briefly; details on request
        if os.environ.get("LABCHECK_DEBUG"):
            traceback.print_exc()
        print("labcheck: erro interno. Rode de novo com LABCHECK_DEBUG=1 e relate o problema.",
              file=sys.stderr)
        return EXIT_INTERNAL
