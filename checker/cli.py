"""The `labcheck` command: parses arguments, runs the grading, maps errors to exit codes."""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from checker import __version__, argparse_ptbr
from checker.boundary import DEFAULT_DEADLINE_S, DEFAULT_MAX_OUTPUT, MIB, Limits
from checker.errors import (
    EXIT_CLUSTER_UNREADABLE,
    EXIT_PASSED,
    EXIT_STEP_FAILED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    InventoryError,
    LabcheckError,
    NodeError,
    UsageError,
)
from checker.exercises import available, load_exercise
from checker.gather import SshOptions, facts_from_cib_file, gather
from checker.grading import grade
from checker.inventory import (
    ENV_INVENTORY,
    resolve_inventory,
    to_ansible_yaml,
    vagrant_inventory,
)
from checker.report import write
from checker.transport import CONNECT_TIMEOUT, DEFAULT_KNOWN_HOSTS, read_known_hosts

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
  labcheck class watch exercise2 --inventories turma/          (quadro ao vivo da turma)
  labcheck class history exercise2                             (tentativas de cada aluno)
  labcheck class export exercise2 --roster turma.csv           (notas para o Moodle)
  labcheck inventory --vagrant turma/ana > inventarios/ana.yaml (inventário de um lab Vagrant)

instrutor (alteram o laboratório, só quando pedido):
  labcheck start exercise2        confere o laboratório e grava a configuração inicial
  labcheck reset exercise2        volta à configuração inicial (pergunta antes; --yes)
  labcheck reset --snapshot       restaura os snapshots Vagrant de todos os nós juntos
"""

EPILOG = f"""\
onde estão os nós: --inventory ARQUIVO, senão ${ENV_INVENTORY}, senão o laboratório Vagrant
em vagrant/ (vagrant ssh-config).

códigos de saída: 0 todos os passos obrigatórios ok (com --cib: a configuração está certa) ·
1 algum passo falhou · 2 erro de uso,
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
                        help="exercise1 … exercise5 — ou 'list' para listá-los")
    add_inventory_argument(parser)
    parser.add_argument("-f", "--format", choices=["text", "json", "junit"], default="text",
                        help="formato do relatório (padrão: text)")
    parser.add_argument("--cib", metavar="ARQUIVO", type=Path,
                        help="corrige uma CIB salva (pcs cluster cib > arquivo), sem SSH")
    parser.add_argument("--record", metavar="ARQUIVO", type=Path,
                        help="grava esta correção no histórico SQLite ARQUIVO (o mesmo de "
                             "labcheck class history)")
    parser.add_argument("--student", metavar="NOME",
                        help="nome gravado com --record (padrão: o nome do inventário, sem .yaml)")
    add_ssh_arguments(parser)
    return parser


def add_inventory_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--inventory", metavar="ARQUIVO",
                        help=f"inventário YAML no formato do Ansible (padrão: ${ENV_INVENTORY}, "
                             "senão o laboratório Vagrant)")


def add_ssh_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accept-new-host-keys", action="store_true",
                        help="registra chaves de host desconhecidas em known_hosts "
                             "(como StrictHostKeyChecking=accept-new); chaves que mudaram "
                             "continuam recusadas")
    parser.add_argument("--known-hosts", metavar="ARQUIVO", type=Path,
                        default=Path(os.environ.get("LABCHECK_KNOWN_HOSTS", DEFAULT_KNOWN_HOSTS)),
                        help="arquivo known_hosts (padrão: ~/.ssh/known_hosts)")
    parser.add_argument("--timeout", metavar="SEG", type=float, default=DEFAULT_DEADLINE_S,
                        help="tempo máximo de toda a troca com cada nó: conectar, rodar as "
                             f"leituras e receber a saída (padrão: {DEFAULT_DEADLINE_S:.0f}); "
                             "um nó que passa disso é dado como sem resposta")
    parser.add_argument("--max-output", metavar="MIB", type=int,
                        default=DEFAULT_MAX_OUTPUT // MIB,
                        help="saída máxima aceita de cada nó, em MiB (padrão: "
                             f"{DEFAULT_MAX_OUTPUT // MIB})")


def ssh_options(args: argparse.Namespace) -> SshOptions:
    """The SSH settings, checked before anything is read: a bad known_hosts is exit 2."""
    if not 0 < args.timeout <= 24 * 3600:
        raise UsageError("--timeout precisa ser um número de segundos entre 0 e 86400 "
                         "(24 h).")
    if not 1 <= args.max_output <= 4096:
        raise UsageError("--max-output precisa ser de 1 a 4096 (MiB).")
    read_known_hosts(args.known_hosts)
    return SshOptions(known_hosts=args.known_hosts,
                      accept_new_host_keys=args.accept_new_host_keys,
                      connect_timeout=min(CONNECT_TIMEOUT, args.timeout),
                      limits=Limits(deadline_s=args.timeout, max_output=args.max_output * MIB))


CLASS_DESCRIPTION = """\
Corrige a turma inteira: cada NOME.yaml da pasta de inventários é o laboratório de um
aluno. Grava EXERCÍCIO.csv, .json e .html na pasta de saída.

exemplo:
  labcheck class exercise2 --inventories turma/ --out notas/ --jobs 8

também:
  labcheck class watch EXERCÍCIO --inventories PASTA     quadro ao vivo da turma no navegador
  labcheck class history EXERCÍCIO                       tentativas, melhor e última nota
  labcheck class export EXERCÍCIO... --roster CSV        notas para o Moodle (ou steps, json)
  labcheck class reset EXERCÍCIO --inventories PASTA     volta todos à configuração inicial
"""


def build_class_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labcheck class", description=CLASS_DESCRIPTION,
        epilog="códigos de saída: 0 todos os laboratórios corrigidos · 2 erro de uso ou "
               "inventário de algum aluno · 3 algum laboratório inacessível",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exercise", metavar="EXERCÍCIO", help="exercise1 … exercise5 (labcheck list)")
    parser.add_argument("--inventories", metavar="PASTA", type=Path, required=True,
                        help="pasta com um inventário NOME.yaml por aluno")
    parser.add_argument("--out", metavar="PASTA", type=Path, required=True,
                        help="onde gravar a planilha (CSV), o JSON e o relatório HTML")
    parser.add_argument("-j", "--jobs", metavar="N", type=int, default=4,
                        help="laboratórios corrigidos ao mesmo tempo (padrão: 4); cada um "
                             "abre uma conexão SSH por nó")
    add_db_argument(parser)
    add_ssh_arguments(parser)
    return parser


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    from checker.history import ENV_DB, default_db_path

    parser.add_argument("--db", metavar="ARQUIVO", type=Path, default=None,
                        help="histórico SQLite das correções (padrão: $" + ENV_DB + ", senão "
                             f"{default_db_path()})")


def run_class_reset(argv: Sequence[str]) -> int:
    from checker.classroom import apply_class_reset, plan_class_reset, student_inventories

    parser = build_reset_parser("labcheck class reset")
    parser.add_argument("--inventories", metavar="PASTA", type=Path, required=True)
    parser.add_argument("-j", "--jobs", metavar="N", type=int, default=4)
    add_ssh_arguments(parser)
    args = parser.parse_args(argv)
    if not args.exercise:
        raise UsageError("Diga qual exercício: labcheck class reset EXERCÍCIO --inventories PASTA")
    exercise = load_exercise(args.exercise)
    ssh = ssh_options(args)
    items = plan_class_reset(exercise, student_inventories(args.inventories), ssh, args.jobs)
    failures = [i.error for i in items if i.error is not None]
    todo = [i for i in items if i.plan is not None and not i.plan.empty]
    for item in items:
        if item.plan is None:
            print(f"{item.student}: não será restaurado — {item.error}")
        elif item.plan.empty:
            print(f"{item.student}: já está na configuração inicial")
        else:
            print(f"{item.student}: será removido\n{item.plan.describe()}")
    if todo and (args.yes or confirm(f"Restaurar {len(todo)} laboratório(s)? [s/N]")):
        for student, error in apply_class_reset(todo, ssh, args.jobs):
            print(f"{student}: {'restaurado' if error is None else f'falhou — {error}'}")
            if error is not None:
                failures.append(error)
    elif todo:
        print("Nada foi alterado.")
        return EXIT_USAGE
    if any(isinstance(e, NodeError) for e in failures):
        return EXIT_UNREACHABLE
    return EXIT_USAGE if failures else EXIT_PASSED


def open_history_or_warn(db: Path | None):
    """The history for `labcheck class`: a history that cannot be opened is a warning, never
    a reason not to grade the class."""
    from checker.history import History, default_db_path

    try:
        return History(db or default_db_path())
    except LabcheckError as exc:
        print(f"labcheck: aviso: sem histórico nesta correção — {exc}", file=sys.stderr)
        return None


def run_class_watch(argv: Sequence[str]) -> int:
    from checker.cli_class import run_watch

    return run_watch(argv, add_ssh_arguments, add_db_argument, ssh_options)


def run_class_history(argv: Sequence[str]) -> int:
    from checker.cli_class import run_history

    return run_history(argv, add_db_argument)


def run_class_export(argv: Sequence[str]) -> int:
    from checker.cli_class import run_export

    return run_export(argv, add_db_argument)


def run_class(argv: Sequence[str]) -> int:
    from tqdm import tqdm

    subcommands = {"reset": run_class_reset, "watch": run_class_watch,
                   "history": run_class_history, "export": run_class_export}
    if argv and argv[0] in subcommands:
        return subcommands[argv[0]](argv[1:])

    from checker.class_report import (
        STATUS_PT,
        check_out_folder,
        summary_table,
        write_gradebook,
    )
    from checker.classroom import ERROR, UNREACHABLE, grade_class, student_inventories

    args = build_class_parser().parse_args(argv)
    if args.jobs < 1:
        raise UsageError("--jobs precisa ser pelo menos 1.")
    exercise = load_exercise(args.exercise)
    inventories = student_inventories(args.inventories)
    ssh = ssh_options(args)
    check_out_folder(args.out)
    history = open_history_or_warn(args.db)
    # disable=None: a bar on a terminal, nothing when the output is a file or a pipe
    with tqdm(total=len(inventories), desc="corrigindo", unit="lab", disable=None,
              file=sys.stderr) as bar:
        def done(result) -> None:
            nonlocal history
            bar.set_postfix_str(f"{result.student}: {STATUS_PT[result.status]}")
            bar.update()
            if history is not None:
                try:
                    history.record(exercise, result.student, "class", result.status,
                                   result.report, result.detail)
                except sqlite3.Error as exc:  # the gradebook files still get written
                    print(f"labcheck: aviso: o histórico parou de ser gravado ({exc}).",
                          file=sys.stderr)
                    history = None

        results = grade_class(exercise, inventories, ssh, args.jobs, done)
    print(summary_table(results, exercise), end="")
    for path in write_gradebook(args.out, exercise, results):
        print(f"gravado: {path}")
    if history is not None:
        print(f"histórico: {history.path}")
        history.close()
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
        print(f"{name:<10} {exercise.title} — {len(exercise.steps)} passos, "
              f"{exercise.points} pontos")
    return EXIT_PASSED


# configuration-ok (--cib): every step a saved CIB shows is right; the exercise itself is
# only passed on the live lab, as the report and its JSON say.
EXIT_BY_VERDICT = {"passed": EXIT_PASSED, "configuration-ok": EXIT_PASSED,
                   "failed": EXIT_STEP_FAILED, "unreachable": EXIT_UNREACHABLE,
                   "error": EXIT_CLUSTER_UNREADABLE}


def run_inventory(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="labcheck inventory",
        description="Mostra, no formato de inventário do Ansible, o laboratório que o labcheck "
                    "encontra — por exemplo para gerar o inventário de cada aluno a partir do "
                    "vagrant ssh-config do laboratório dele.")
    parser.add_argument("--vagrant", metavar="PASTA", type=Path,
                        help="pasta com o Vagrantfile do laboratório (padrão: vagrant/)")
    add_inventory_argument(parser)
    args = parser.parse_args(argv)
    if args.vagrant is not None:
        inventory = vagrant_inventory(args.vagrant)
    else:
        inventory = resolve_inventory(args.inventory)
    off = [h for h in inventory.hosts if h.down]
    if off:  # an inventory without their addresses would be wrong, not just incomplete
        raise InventoryError("; ".join(f"{h.name}: {h.down}" for h in off)
                             + ". Suba o laboratório inteiro antes de gerar o inventário.")
    print(to_ansible_yaml(inventory), end="")
    return EXIT_PASSED


def confirm(question: str) -> bool:
    """Ask on the terminal; no answer (EOF) is a no."""
    print(question, end=" ", flush=True)
    try:
        answer = input()
    except EOFError:
        print()
        return False
    return answer.strip().lower() in {"s", "sim", "y", "yes"}


def run_start(argv: Sequence[str]) -> int:
    from checker.labops import start

    parser = argparse.ArgumentParser(
        prog="labcheck start",
        description="Confere se o laboratório está pronto para o exercício e grava a "
                    "configuração inicial do cluster (usada pelo labcheck reset).")
    parser.add_argument("exercise", metavar="EXERCÍCIO")
    add_inventory_argument(parser)
    parser.add_argument("--force", action="store_true",
                        help="regrava a configuração inicial mesmo se já houver uma")
    add_ssh_arguments(parser)
    args = parser.parse_args(argv)
    exercise = load_exercise(args.exercise)
    inventory = resolve_inventory(args.inventory)
    result = start(exercise, inventory, ssh_options(args), args.force)
    print(f"labcheck start · {exercise.title}")
    print("\n".join(result.lines))
    if not result.ready:
        print("\nO laboratório não está pronto: corrija o que está marcado com ✘.")
        return EXIT_STEP_FAILED
    print(f"\nPronto. {exercise.summary}")
    return EXIT_PASSED


def build_reset_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Devolve o cluster à configuração inicial do exercício (gravada pelo "
                    "labcheck start): mostra o que será removido, pergunta, guarda uma cópia "
                    "da CIB substituída e limpa o estado dos recursos.")
    parser.add_argument("exercise", metavar="EXERCÍCIO", nargs="?")
    parser.add_argument("-y", "--yes", action="store_true", help="não pergunta antes de apagar")
    return parser


def run_reset(argv: Sequence[str]) -> int:
    from checker.inventory import DEFAULT_VAGRANT_DIR
    from checker.labops import apply_reset, plan_reset, rebuild, reset_snapshot

    parser = build_reset_parser("labcheck reset")
    add_inventory_argument(parser)
    parser.add_argument("--snapshot", metavar="NOME", nargs="?", const="base",
                        help="laboratório Vagrant: restaura o snapshot NOME (padrão: base) de "
                             "todos os nós juntos e espera o cluster")
    parser.add_argument("--rebuild", action="store_true",
                        help="laboratório Vagrant: destrói e recria todas as VMs")
    add_ssh_arguments(parser)
    args = parser.parse_args(argv)
    ssh = ssh_options(args)
    if args.rebuild or args.snapshot:
        what = "destruir e recriar" if args.rebuild else f"restaurar o snapshot {args.snapshot} de"
        if not args.yes and not confirm(f"Vai {what} todas as VMs do laboratório. Continuar? [s/N]"):
            print("Nada foi alterado.")
            return EXIT_USAGE
        if args.rebuild:  # needs no inventory: it is how a broken lab gets fixed
            rebuild(DEFAULT_VAGRANT_DIR)
        else:
            reset_snapshot(lambda: resolve_inventory(args.inventory), ssh, DEFAULT_VAGRANT_DIR,
                           args.snapshot)
        print("Laboratório restaurado.")
        return EXIT_PASSED
    inventory = resolve_inventory(args.inventory)
    if not args.exercise:
        raise UsageError("Diga qual exercício: labcheck reset EXERCÍCIO (ou --snapshot).")
    exercise = load_exercise(args.exercise)
    plan = plan_reset(exercise, inventory, ssh)
    print(f"labcheck reset · {exercise.title} · lido de {plan.host.name}")
    if plan.empty:
        print("A configuração já é a inicial; nada a fazer.")
        return EXIT_PASSED
    print("Será removido do cluster:\n" + plan.describe())
    if not args.yes and not confirm("Apagar isso e restaurar a configuração inicial? [s/N]"):
        print("Nada foi alterado.")
        return EXIT_USAGE
    node_backup, local_backup = apply_reset(plan, inventory, ssh)
    print(f"Feito. Cópia da CIB substituída: {local_backup} e {node_backup}")
    return EXIT_PASSED


def run(argv: Sequence[str]) -> int:
    if argv and argv[0] == "class":
        return run_class(argv[1:])
    if argv and argv[0] == "start":
        return run_start(argv[1:])
    if argv and argv[0] == "reset":
        return run_reset(argv[1:])
    if argv and argv[0] == "inventory":
        return run_inventory(argv[1:])
    args = build_parser().parse_args(argv)
    if args.exercise == "list":
        return list_exercises()
    exercise = load_exercise(args.exercise)
    if args.cib is not None:
        facts = facts_from_cib_file(args.cib)
    else:
        inventory = resolve_inventory(args.inventory)
        facts, _ = gather(inventory, exercise.needs, ssh_options(args))
    report = grade(exercise, facts)
    write(report, args.format)  # the report first: a history that fails cannot hide it
    if args.record is not None and not facts.offline:
        record_attempt(args, exercise, report)
    return EXIT_BY_VERDICT[report.verdict]


def record_attempt(args: argparse.Namespace, exercise, report) -> None:
    """--record: the student's own attempt, in the history the instructor reads."""
    from checker.boundary import clean_line
    from checker.history import History

    source = Path(report.source)
    name = clean_line(args.student or (source.stem if source.suffix in {".yaml", ".yml"}
                                       else os.environ.get("USER", "aluno")))[:100]
    if not name:
        raise UsageError("--student precisa de um nome.")
    verdict = report.verdict if report.verdict != "configuration-ok" else "failed"
    with History(args.record) as history:
        history.record(exercise, name, "student", verdict, report,
                       "; ".join(report.problems))


def main(argv: Sequence[str] | None = None) -> int:
    argparse_ptbr.install()
    # paramiko logs connection failures itself; we report them once, in pt-BR.
    logging.getLogger("paramiko").setLevel(logging.CRITICAL + 1)
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except LabcheckError as exc:
        print(f"labcheck: erro: {exc}", file=sys.stderr)
        return exc.exit_code
    except SystemExit as done:  # argparse: --help, --version, or a usage error it printed
        return done.code if isinstance(done.code, int) else EXIT_USAGE
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
