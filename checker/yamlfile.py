"""YAML text to data, with a pt-BR message that points at the line when it is broken."""

from __future__ import annotations

from typing import Any

import yaml

from checker.errors import LabcheckError


def load_yaml(text: str, what: str, error: type[LabcheckError]) -> Any:
    """Parse `text`; on bad YAML raise `error` naming `what` and the line and column."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (linha {mark.line + 1}, coluna {mark.column + 1})" if mark else ""
        raise error(f"{what}: YAML inválido{where}.") from None
    except (ValueError, RecursionError):
        # an integer of more than 4,300 digits, or nesting deeper than Python's stack
        raise error(f"{what}: YAML com um número ou um aninhamento grande demais.") from None
