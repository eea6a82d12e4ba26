"""pt-BR wording for argparse's own messages (Python ships no pt_BR catalogue for them).

argparse looks up its messages through the module-level `_`/`ngettext` names at call
time, so replacing those with a small catalogue translates usage errors and help.
"""

from __future__ import annotations

import argparse

CATALOGUE = {
    "usage: ": "uso: ",
    "options": "opções",
    "positional arguments": "argumentos posicionais",
    "show this help message and exit": "mostra esta ajuda e sai",
    "show program's version number and exit": "mostra a versão e sai",
    "%(prog)s: error: %(message)s\n": "%(prog)s: erro: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "argumento %(argument_name)s: %(message)s",
    "unrecognized arguments: %s": "argumentos não reconhecidos: %s",
    "the following arguments are required: %s": "faltam os argumentos: %s",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "opção inválida: %(value)r (escolha entre %(choices)s)",
    "expected one argument": "esperava um valor",
    "invalid %(type)s value: %(value)r": "valor inválido (%(type)s): %(value)r",
    "ambiguous option: %(option)s could match %(matches)s":
        "opção ambígua: %(option)s pode ser %(matches)s",
}


def _translate(message: str) -> str:
    return CATALOGUE.get(message, message)


def install() -> None:
    argparse._ = _translate  # type: ignore[attr-defined]
