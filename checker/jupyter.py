"""IPython extension for the exercise notebooks: `%load_ext checker.jupyter`.

- `%%node NODE [NODE ...]` runs the cell as a shell script on lab nodes, over the same
  SSH layer as the grader (one exec, script on stdin); one connection per node is kept
  for the kernel's life.
- `%labcheck exerciseN` grades the lab and shows the report as an HTML table.
- `%lab` says where the lab's nodes are.

The lab is found as `labcheck` finds it: $LABCHECK_INVENTORY, else the Vagrant lab.
Problems (unreachable node, bad inventory, usage) are one pt-BR line, never a traceback,
and a non-zero exit status is reported, not raised, so a notebook runs top to bottom.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shlex
import sys
from html import escape
from pathlib import Path
from typing import Any, NoReturn

from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.display import display
from traitlets import Bool, Float

from checker import argparse_ptbr
from checker.boundary import Limits
from checker.checks import Status
from checker.errors import LabcheckError, NodeError
from checker.exercises import load_exercise
from checker.gather import SshOptions, gather
from checker.grading import grade
from checker.inventory import ENV_INVENTORY, Host, Inventory, resolve_inventory
from checker.report import STATUS_WORDS, SYMBOLS, WARNING_SYMBOL, render_text, to_dict, write
from checker.transport import DEFAULT_KNOWN_HOSTS, NodeSession, ScriptResult

ENV_KNOWN_HOSTS = "LABCHECK_KNOWN_HOSTS"
# "vagrant": nodes run systemd (the course's lab); "nslab": the namespace lab, no systemd.
LAB_KINDS = {"vagrant": "laboratório Vagrant", "nslab": "laboratório em namespaces"}
KIND_PROBE = "test -d /run/systemd/system"
SESSION_LIFE_S = 7 * 24 * 3600.0
HTML_COLORS = {"pass": "#1a7f37", "fail": "#cf222e", "skip": "#6e7781", "error": "#9a6700",
               "warning": "#9a6700"}
# JupyterLab right-aligns table cells by default; a report reads better from the left.
CELL = "text-align:left;vertical-align:top"
SHELL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class MagicUsageError(LabcheckError):
    """Bad magic arguments; the message is argparse's, in pt-BR."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise MagicUsageError(f"{self.format_usage().strip()}\n{self.prog}: erro: {message}")


def _node_parser() -> _Parser:
    parser = _Parser(prog="%%node", add_help=False)
    parser.add_argument("nodes", nargs="+", metavar="NÓ")
    parser.add_argument("--lab", choices=sorted(LAB_KINDS))
    parser.add_argument("--out", metavar="VARIÁVEL")
    parser.add_argument("--env", nargs="+", action="extend", default=[], metavar="VARIÁVEL")
    return parser


def _labcheck_parser() -> _Parser:
    parser = _Parser(prog="%labcheck", add_help=False)
    parser.add_argument("exercise", metavar="EXERCÍCIO")
    parser.add_argument("--format", choices=["html", "text", "json", "junit"], default="html")
    return parser


def _parse(parser: _Parser, line: str) -> argparse.Namespace:
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise MagicUsageError(f"{parser.prog}: erro: argumentos mal formados ({exc}).") from None
    return parser.parse_args(words)


def _problem(message: str) -> None:
    sys.stdout.flush()
    print(f"✘ {message}", file=sys.stderr, flush=True)


def _short(value: Any, width: int = 72) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def render_html(data: dict[str, Any]) -> str:
    """The grader's report (report.to_dict) as an HTML table with coloured statuses."""
    rows = []
    for index, check in enumerate(data["checks"], 1):
        status = Status(check["status"])
        warning = status is Status.FAIL and not check["required"]
        symbol, word = (WARNING_SYMBOL, "aviso") if warning else (SYMBOLS[status], STATUS_WORDS[status])
        color = HTML_COLORS["warning" if warning else status.value]
        if status is Status.SKIP or check["max_points"] == 0:
            points = "–"
        else:
            points = f"{check['points']}/{check['max_points']}" + ("" if check["required"] else " (bônus)")
        detail = escape(check["message"])
        if check["hint"]:
            detail += f"<br><b>Dica:</b> {escape(check['hint'])}"
        rows.append(
            f"<tr><td style='{CELL}'>{index}. {escape(check['title'])}</td>"
            f"<td style='{CELL};color:{color};white-space:nowrap'><b>{symbol}</b> {word}</td>"
            f"<td style='{CELL};white-space:nowrap'>{points}</td>"
            f"<td style='{CELL}'>{detail}</td></tr>"
        )
    pending = sum(1 for c in data["checks"]
                  if c["required"] and c["status"] in {Status.FAIL.value, Status.ERROR.value})
    unjudged = sum(1 for c in data["checks"] if c["status"] == Status.SKIP.value)
    verdict = "APROVADO" if data["passed"] else f"{pending} passo(s) obrigatório(s) pendente(s)"
    scope = f" ({unjudged} passo(s) não verificável(is) aqui)" if unjudged else ""
    color = HTML_COLORS["pass" if data["passed"] else "fail"]
    problems = "".join(f"<p style='color:{HTML_COLORS['warning']}'><b>Atenção:</b> {escape(p)}</p>"
                       for p in data["problems"])
    return (
        "<div class='labcheck-report'>"
        f"<p><b>labcheck · {escape(data['title'])}</b><br>Laboratório: {escape(data['source'])}</p>"
        "<table class='labcheck-table'><thead><tr>"
        + "".join(f"<th style='{CELL}'>{h}</th>" for h in ("Passo", "Situação", "Pontos", "Mensagem"))
        + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>{problems}"
        f"<p style='color:{color}'><b>Resultado: {data['score']}/{data['max_score']} pontos — "
        f"{verdict}</b>{scope}</p></div>"
    )


@magics_class
class LabMagics(Magics):
    """%%node, %labcheck and %lab; one SSH connection per node, kept for the kernel's life."""

    connect_timeout = Float(10.0, help="Tempo máximo (s) para conectar a um nó.").tag(config=True)
    command_timeout = Float(
        1200.0, help="Tempo máximo (s) de um comando antes de desistir."
    ).tag(config=True)
    accept_new_host_keys = Bool(
        False, help="Registra chaves de host desconhecidas (como --accept-new-host-keys)."
    ).tag(config=True)

    def __init__(self, shell: InteractiveShell | None = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self._inventory: Inventory | None = None
        self._inventory_key: tuple[str | None, str | None] | None = None
        self._sessions: dict[str, NodeSession] = {}
        self._kinds: dict[str, str] = {}

    # -- the lab and its connections --------------------------------------------------

    def _known_hosts(self) -> Path:
        return Path(os.environ.get(ENV_KNOWN_HOSTS, DEFAULT_KNOWN_HOSTS))

    def inventory(self) -> Inventory:
        """The inventory, found again when $LABCHECK_INVENTORY or the known_hosts change."""
        key = (os.environ.get(ENV_INVENTORY), os.environ.get(ENV_KNOWN_HOSTS))
        if self._inventory is None or key != self._inventory_key:
            self.close()
            self._inventory = resolve_inventory(None)
            self._inventory_key = key
        return self._inventory

    def _host(self, inventory: Inventory, name: str) -> Host:
        try:
            return inventory.host(name)
        except KeyError:
            names = ", ".join(h.name for h in inventory.hosts)
            raise MagicUsageError(
                f"nó desconhecido: {name}. Nós do laboratório ({inventory.source}): {names}."
            ) from None

    def _session(self, host: Host) -> NodeSession:
        session = self._sessions.get(host.name)
        if session is not None:
            if session.is_alive(self.connect_timeout):
                return session
            self._drop(host.name)
        try:
            # kept open for the kernel's life: each command has its own deadline
            session = NodeSession.connect(host, self._known_hosts(), self.accept_new_host_keys,
                                          self.connect_timeout, Limits(deadline_s=SESSION_LIFE_S))
        except NodeError as exc:
            if "--accept-new-host-keys" in exc.reason:
                raise NodeError(exc.node, exc.reason + " No notebook: "
                                "%config LabMagics.accept_new_host_keys = True") from None
            raise
        self._sessions[host.name] = session
        return session

    def _drop(self, name: str) -> None:
        session = self._sessions.pop(name, None)
        if session is not None:
            session.close()

    def run(self, host: Host, script: str) -> ScriptResult:
        """Run a script on a node through its cached session; NodeError when it cannot."""
        try:
            return self._session(host).run_script(script, self.command_timeout)
        except NodeError:
            self._drop(host.name)
            raise

    def _kind(self, host: Host) -> str:
        if host.name not in self._kinds:
            probe = self.run(host, KIND_PROBE)
            self._kinds[host.name] = "vagrant" if probe.exit_status == 0 else "nslab"
        return self._kinds[host.name]

    def _exports(self, names: list[str]) -> str:
        values = []
        for name in names:
            if not SHELL_NAME.match(name):
                raise MagicUsageError(f"--env {name}: não é um nome de variável válido.")
            if name not in self.shell.user_ns:
                raise MagicUsageError(
                    f"a variável Python {name} não existe: rode antes a célula que a define."
                )
            values.append(f"{name}={shlex.quote(str(self.shell.user_ns[name]))}")
        return f"export {' '.join(values)}\n" if values else ""

    def close(self) -> None:
        for name in list(self._sessions):
            self._drop(name)
        self._kinds.clear()
        self._inventory = None

    # -- magics ------------------------------------------------------------------------

    @cell_magic
    def node(self, line: str, cell: str) -> None:
        """Roda a célula como um script de shell (sh, como root) nos nós do laboratório.

        %%node NÓ [NÓ ...] [--lab vagrant|nslab] [--out VARIÁVEL] [--env VARIÁVEL ...]

        --lab    roda só se o nó for desse laboratório (vagrant: com systemd; nslab: o
                 laboratório em namespaces); senão, pula a célula.
        --out    guarda a saída na variável Python VARIÁVEL em vez de mostrá-la
                 (com vários nós, um dicionário nó -> saída).
        --env    passa variáveis Python ao script como variáveis de ambiente.

        A saída de erro aparece junto com a saída normal, na ordem, como num terminal.
        Um código de saída diferente de zero é mostrado, sem interromper o caderno.
        """
        try:
            args = _parse(_node_parser(), line)
            inventory = self.inventory()
            hosts = [self._host(inventory, name) for name in args.nodes]
        except LabcheckError as exc:
            _problem(str(exc))
            return
        script: str | None = None
        outputs: dict[str, str] = {}
        for host in hosts:
            if len(hosts) > 1:
                print(f"── {host.name} ──", flush=True)
            try:
                if args.lab and self._kind(host) != args.lab:
                    print(f"– {host.name}: célula só para o {LAB_KINDS[args.lab]}; pulada "
                          f"(este é o {LAB_KINDS[self._kind(host)]}).")
                    continue
                if script is None:
                    # Only for a cell that runs: on the other lab the cell that sets its
                    # --env variables was skipped too. As in a terminal: error output
                    # interleaved with the rest; with --out only stdout is kept.
                    script = self._exports(args.env) + ("" if args.out else "exec 2>&1\n") + cell
                result = self.run(host, script)
            except NodeError as exc:
                _problem(str(exc))
                continue
            except LabcheckError as exc:  # a missing --env variable: the same for every node
                _problem(str(exc))
                return
            except KeyboardInterrupt:
                self._drop(host.name)
                _problem(f"{host.name}: interrompido; a conexão foi fechada.")
                return
            if args.out:
                outputs[host.name] = result.stdout.rstrip("\n")
            else:
                sys.stdout.write(result.stdout)
            sys.stdout.flush()
            sys.stderr.write(result.stderr)
            sys.stderr.flush()
            if result.exit_status != 0:
                _problem(f"{host.name}: o comando terminou com código {result.exit_status}.")
        if args.out and outputs:
            value: Any = outputs if len(hosts) > 1 else next(iter(outputs.values()))
            self.shell.user_ns[args.out] = value
            print(f"{args.out} = {_short(value)}")

    @line_magic
    def labcheck(self, line: str) -> None:
        """Corrige um exercício no laboratório e mostra o relatório do labcheck.

        %labcheck EXERCÍCIO [--format html|text|json|junit]
        """
        try:
            args = _parse(_labcheck_parser(), line)
            exercise = load_exercise(args.exercise)
            inventory = self.inventory()
            ssh = SshOptions(known_hosts=self._known_hosts(),
                             accept_new_host_keys=self.accept_new_host_keys,
                             connect_timeout=self.connect_timeout)
            facts, _ = gather(inventory, exercise.needs, ssh)
            report = grade(exercise, facts)
        except LabcheckError as exc:
            _problem(str(exc))
            return
        if args.format == "html":
            display({"text/html": render_html(to_dict(report)), "text/plain": render_text(report)},
                    raw=True)
        elif args.format == "text":
            sys.stdout.write(render_text(report, color=True))
        else:
            write(report, args.format, sys.stdout)

    @line_magic
    def lab(self, line: str) -> None:
        """Mostra onde estão os nós do laboratório ($LABCHECK_INVENTORY ou o Vagrant)."""
        try:
            inventory = self.inventory()
        except LabcheckError as exc:
            _problem(str(exc))
            return
        print(f"Laboratório: {inventory.source}")
        for host in inventory.hosts:
            print(f"  {host.name:<8} {host.role:<8} {host.user}@{host.address}:{host.port}")


def load_ipython_extension(ipython: InteractiveShell) -> None:
    argparse_ptbr.install()
    # paramiko logs connection failures itself; the cell shows them once, in pt-BR.
    logging.getLogger("paramiko").setLevel(logging.CRITICAL + 1)
    ipython.register_magics(LabMagics)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    magics = ipython.magics_manager.registry.get("LabMagics")
    if isinstance(magics, LabMagics):
        magics.close()
