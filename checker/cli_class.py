"""`labcheck class watch | history | export`: the instructor's live board and the history.

Argument parsing and printing only; the work is in watch.py, board.py, history.py and
export.py.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from checker.class_report import STATUS_PT, replace_file, score_text
from checker.errors import EXIT_PASSED, UsageError
from checker.exercises import Exercise, load_exercise
from checker.history import History, LabSummary, default_db_path

WATCH_DESCRIPTION = """\
Corrige a turma de novo a cada --every segundos e mostra um quadro ao vivo no navegador:
alunos × passos, onde a turma travou e o relatório de cada aluno. Só lê os laboratórios.
Cada correção vai para o histórico (--db). Ctrl-C para parar.

exemplo:
  labcheck class watch exercise2 --inventories turma/ --every 30
"""


def build_watch_parser(add_ssh, add_db) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="labcheck class watch", description=WATCH_DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exercise", metavar="EXERCÍCIO")
    parser.add_argument("--inventories", metavar="PASTA", type=Path, required=True,
                        help="pasta com um inventário NOME.yaml por aluno (relida a cada rodada)")
    parser.add_argument("--every", metavar="SEG", type=float, default=30.0,
                        help="intervalo entre o início de duas rodadas (padrão: 30)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="endereço onde o quadro escuta (padrão: 127.0.0.1, só esta máquina; "
                             "0.0.0.0 mostra as notas a toda a rede)")
    parser.add_argument("--port", metavar="N", type=int, default=8765,
                        help="porta do quadro (padrão: 8765; 0 = uma porta livre)")
    parser.add_argument("-j", "--jobs", metavar="N", type=int, default=4,
                        help="laboratórios corrigidos ao mesmo tempo (padrão: 4)")
    add_db(parser)
    add_ssh(parser)
    return parser


def run_watch(argv: Sequence[str], add_ssh, add_db, ssh_options) -> int:
    import uvicorn

    from checker.board import allowed_hosts_for, bind, create_app
    from checker.classroom import student_inventories
    from checker.watch import Watcher

    args = build_watch_parser(add_ssh, add_db).parse_args(argv)
    if not 5 <= args.every <= 24 * 3600:
        raise UsageError("--every precisa ser de 5 a 86400 segundos.")
    if not 0 <= args.port <= 65535:
        raise UsageError("--port precisa ser de 0 a 65535.")
    if args.jobs < 1:
        raise UsageError("--jobs precisa ser pelo menos 1.")
    exercise = load_exercise(args.exercise)
    first = student_inventories(args.inventories)  # a wrong folder is exit 2 now, not later
    ssh = ssh_options(args)
    db_path = args.db or default_db_path()
    History(db_path).close()  # created and migrated before the first request reads it
    sock = bind(args.host, args.port)
    port = sock.getsockname()[1]
    watcher = Watcher(exercise, args.inventories, ssh, db_path, args.every, args.jobs)
    watcher.show_students(tuple(first))  # the board lists the class before the first result
    app = create_app(exercise, db_path, lambda: watcher.state.students, lambda: watcher.state,
                     allowed_hosts_for(args.host))
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"labcheck class watch · {exercise.title}")
    print(f"Quadro da turma: http://{shown_host}:{port}/   (Ctrl-C para parar)")
    print(f"Histórico: {db_path}")
    if args.host not in {"127.0.0.1", "localhost", "::1"}:
        print("Atenção: o quadro está aberto para a rede; qualquer um que alcance esta "
              "máquina vê as notas da turma.", file=sys.stderr)
    sys.stdout.flush()
    grading = threading.Thread(target=watcher.run, name="labcheck-watch", daemon=True)
    grading.start()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            timeout_graceful_shutdown=2)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled: the normal way out
        pass
    finally:
        watcher.stop.set()
        grading.join(timeout=ssh.limits.deadline_s + 5)
        sock.close()
    print("Quadro parado. O histórico fica em", db_path)
    return EXIT_PASSED


# -- history ---------------------------------------------------------------------------------

def _when(ts: float | None, today: str) -> str:
    if ts is None:
        return "—"
    moment = datetime.fromtimestamp(ts)
    return moment.strftime("%H:%M") if moment.strftime("%Y-%m-%d") == today else \
        moment.strftime("%d/%m %H:%M")


def history_table(exercise: Exercise, labs: dict[str, LabSummary]) -> str:
    today = datetime.now().strftime("%Y-%m-%d")
    scale = exercise.points
    numbers = [str(i) for i in range(1, len(exercise.steps) + 1)]
    header = ["aluno", "tentativas", "melhor", "última", "situação", *numbers]
    rows = []
    for name, lab in labs.items():
        rows.append([name, str(lab.attempts), score_text(lab.best), score_text(lab.latest.score),
                     STATUS_PT.get(lab.latest.status, lab.latest.status),
                     *(_when(lab.first_passed.get(s.id), today) for s in exercise.steps)])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, ["-" * w for w in widths], *rows]]
    legend = [f"Notas de 0 a {scale} (escala da turma). Colunas 1–{len(numbers)}: quando cada "
              "passo foi cumprido pela primeira vez (— ainda não):"]
    legend += [f"  {i}. {s.title}" for i, s in enumerate(exercise.steps, 1)]
    return "\n".join([*lines, "", *legend]) + "\n"


def run_history(argv: Sequence[str], add_db) -> int:
    parser = argparse.ArgumentParser(
        prog="labcheck class history",
        description="Mostra, por aluno, as correções gravadas de um exercício: quantas, a melhor "
                    "e a última nota e quando cada passo foi cumprido pela primeira vez.")
    parser.add_argument("exercise", metavar="EXERCÍCIO")
    add_db(parser)
    args = parser.parse_args(argv)
    exercise = load_exercise(args.exercise)
    db_path = args.db or default_db_path()
    with History.existing(db_path) as history:
        labs = history.summaries(exercise.id)
    print(f"labcheck class history · {exercise.title}")
    print(f"Histórico: {db_path}\n")
    if not labs:
        print("Nenhuma correção deste exercício no histórico.")
        return EXIT_PASSED
    print(history_table(exercise, labs), end="")
    return EXIT_PASSED


# -- export ----------------------------------------------------------------------------------

def run_export(argv: Sequence[str], add_db) -> int:
    from checker.export import (
        FORMATS,
        PICKS,
        collect,
        require_roster,
        to_json,
        to_moodle,
        to_steps_csv,
    )
    from checker.roster import IDENTIFIERS, load_roster

    parser = argparse.ArgumentParser(
        prog="labcheck class export",
        description="Exporta as notas gravadas no histórico: moodle (CSV para \"Importar notas → "
                    "arquivo CSV\" do Moodle, com --roster), steps (CSV com uma linha por aluno e "
                    "passo) ou json (esquema labcheck.export/1).",
        epilog="exemplo: labcheck class export exercise1 exercise2 --format moodle "
               "--roster turma.csv --out notas-moodle.csv")
    parser.add_argument("exercises", metavar="EXERCÍCIO", nargs="+")
    parser.add_argument("--format", choices=FORMATS, default="moodle",
                        help="moodle (padrão), steps ou json")
    parser.add_argument("--roster", metavar="CSV", type=Path,
                        help="lista da turma: colunas student e email, idnumber ou username")
    parser.add_argument("--id-column", choices=IDENTIFIERS,
                        help="coluna da lista que identifica o aluno no Moodle (padrão: a "
                             "primeira presente entre email, idnumber, username)")
    parser.add_argument("--pick", choices=PICKS, default="best",
                        help="que correção conta: best (padrão, a melhor) ou latest (a última)")
    parser.add_argument("--out", metavar="ARQUIVO", type=Path,
                        help="onde gravar (padrão: a saída padrão)")
    add_db(parser)
    args = parser.parse_args(argv)
    exercises = [load_exercise(name) for name in dict.fromkeys(args.exercises)]
    roster = load_roster(args.roster) if args.roster else None
    if args.format == "moodle":
        require_roster(roster)  # before the history is read
    with History.existing(args.db or default_db_path()) as history:
        export = collect(history, exercises, args.pick, roster)
    if args.format == "moodle":
        text = to_moodle(export, args.id_column)
    elif args.format == "steps":
        text = to_steps_csv(export)
    else:
        text = to_json(export)
    if args.out is None:
        sys.stdout.write(text)
    else:
        write_atomically(args.out, text)
        print(f"gravado: {args.out}", file=sys.stderr)
    for line in export.problems():
        print(f"labcheck: atenção: {line}", file=sys.stderr)
    return EXIT_PASSED


def write_atomically(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, text)
    except OSError as exc:
        raise UsageError(f"Não foi possível gravar {path}: {exc.strerror or exc}.") from None
