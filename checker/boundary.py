"""The trust boundary: everything that comes from a student's lab passes through here first.

A student controls the nodes labcheck reads and the inventory files they hand in, so what
crosses into labcheck is untrusted: a node may answer slowly or never, send gigabytes, print
terminal escapes, or put absurd numbers in its XML; an inventory may carry names that would
become options or paths. This module is the one place that bounds (time, bytes, number
sizes), validates (names, ports, paths) and cleans (control characters) such data, so checks
and reports can trust what they receive:

- `transport` decodes every byte a node sends with `decode_node_output`, under a `Deadline`
  and an output cap (`Limits`);
- `model` and `facts` read every number with `bounded_int`;
- `inventory` validates every host, address, port and user with the `*_problem` functions;
- local paths built from names use `safe_filename`.

Report writers then only escape for their own format (HTML, CSV, XML).
"""

from __future__ import annotations

import ipaddress
import re
import time
from dataclasses import dataclass
from pathlib import Path

from checker.errors import LabcheckError

MIB = 1024 * 1024
# The whole exchange with one node (connect, run, read); a healthy lab answers in seconds,
# an emulated Vagrant lab in well under a minute.
DEFAULT_DEADLINE_S = 120.0
# A real CIB is well under 1 MiB even on large clusters; 32 MiB leaves room and bounds memory.
DEFAULT_MAX_OUTPUT = 32 * MIB
# Inventory and saved-CIB files a student hands in.
MAX_INVENTORY_BYTES = 1 * MIB
MAX_CIB_FILE_BYTES = DEFAULT_MAX_OUTPUT
MAX_KNOWN_HOSTS_BYTES = 16 * MIB
MAX_HOSTS_PER_INVENTORY = 64


@dataclass(frozen=True)
class Limits:
    """How long and how much one node may take."""

    deadline_s: float = DEFAULT_DEADLINE_S
    max_output: int = DEFAULT_MAX_OUTPUT


class Deadline:
    """A point in time after which an exchange with a node is abandoned."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self._end


def read_untrusted_file(path: Path, limit: int, what: str,
                        error: type[LabcheckError]) -> bytes:
    """The bytes of a file someone else wrote (an inventory, a saved CIB, a known_hosts):
    one larger than `limit` is refused without reading it all. `what` names it ("Inventário")."""
    shown = clean_line(str(path))
    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except FileNotFoundError:
        raise error(f"{what} não encontrado: {shown}") from None
    except OSError as exc:
        raise error(f"{what} {shown}: não foi possível ler ({exc.strerror or exc}).") from None
    if len(data) > limit:
        raise error(f"{what} {shown}: passa de {limit // MIB} MiB.")
    return data


# ------------------------------------------------------------------------ text

# C0 controls but tab and newline, DEL and C1 (ESC sequences, CSI, OSC...), the Unicode
# bidirectional overrides that reorder what a reader sees, and the two noncharacters XML
# 1.0 forbids. What is left is printable in a terminal and legal in XML.
_UNSAFE_CLASS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff"
_UNSAFE_CHARS = re.compile(f"[{_UNSAFE_CLASS}]")
# Matches (fullmatch) text that has none of them: what tests assert of every report.
CONTROL_FREE = re.compile(f"[^{_UNSAFE_CLASS}]*")
_LINE_BREAKS = re.compile(r"[\t\n]+")


# str.translate builds its result in one buffer; re.sub would keep one piece per match, and
# 32 MiB of alternating NULs would cost hundreds of MB in pieces.
_DELETE_UNSAFE = dict.fromkeys(
    [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F),
     *range(0x2066, 0x206A), 0xFFFE, 0xFFFF])


def clean_text(text: str) -> str:
    """`text` without control characters; newlines and tabs are kept."""
    if _UNSAFE_CHARS.search(text) is None:  # the usual case costs one scan, no copy
        return text
    return text.translate(_DELETE_UNSAFE)


def clean_line(text: str) -> str:
    """One line of clean text: a name or a short message that must not span lines."""
    return _LINE_BREAKS.sub(" ", clean_text(text)).strip()


def decode_node_output(data: bytes | bytearray) -> str:
    """Bytes a node sent -> clean text. Invalid UTF-8 becomes U+FFFD, never an error."""
    return clean_text(bytes(data).decode("utf-8", errors="replace"))


# --------------------------------------------------------------------- numbers

# int64 has 19 digits: anything longer in Pacemaker's output is not a real value, and
# Python refuses int() of more than 4,300 digits anyway (with a ValueError nobody expects).
MAX_DIGITS = 18
_INTEGER = re.compile(rf"[+-]?[0-9]{{1,{MAX_DIGITS}}}")


def bounded_int(text: object, low: int | None = None, high: int | None = None) -> int | None:
    """A decimal integer of at most 18 ASCII digits within [low, high], else None."""
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, int):
        value = text
    else:
        candidate = str(text).strip() if len(str(text)) <= 64 else ""
        if not _INTEGER.fullmatch(candidate):
            return None
        value = int(candidate)
    if (low is not None and value < low) or (high is not None and value > high):
        return None
    return value


# ------------------------------------------------------------------------ names

_HOST_LABEL = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_USER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}")


def host_problem(value: object) -> str | None:
    """Why `value` is not a plain host name or IP address, or None when it is one.

    No leading '-' (it would become an ssh option), no spaces, no '/', nothing a shell or a
    path would read specially."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return f"deveria ser um nome de host ou endereço IP, não {_kind(value)}"
    text = str(value)
    try:
        ipaddress.ip_address(text)
        return None
    except ValueError:
        pass
    if not text or len(text) > 253:
        return "deveria ter de 1 a 253 caracteres"
    labels = text.removesuffix(".").split(".")
    if all(_HOST_LABEL.fullmatch(label) for label in labels):
        return None
    return (f"{printable(text)!r} não é um nome de host nem um endereço IP (use letras, "
            "dígitos, '-', '_' e '.', sem começar com '-')")


def user_problem(value: object) -> str | None:
    if not isinstance(value, str) or not _USER_NAME.fullmatch(value):
        shown = printable(value) if isinstance(value, str) else _kind(value)
        return f"{shown!r} não é um nome de usuário simples (letras, dígitos, '_', '.', '-')"
    return None


def port_value(value: object) -> tuple[int | None, str | None]:
    """(port, None) for an integer in 1-65535 (also written as a string), else (None, why)."""
    port = bounded_int(value, 1, 65535) if not isinstance(value, float) else None
    if port is None:
        return None, f"{_short(value)} não é uma porta (um número inteiro de 1 a 65535)"
    return port, None


def _short(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return _kind(value)
    if isinstance(value, int) and value.bit_length() > 64:  # str() of a huge int raises
        return "um número enorme"
    return repr(printable(str(value)))


def _kind(value: object) -> str:
    names = {"list": "uma lista", "dict": "um mapeamento", "NoneType": "vazio",
             "bool": "um booleano", "float": "um número com casas decimais"}
    return names.get(type(value).__name__, type(value).__name__)


def printable(text: str, limit: int = 80) -> str:
    """A short, clean rendering of a value for an error message."""
    line = clean_line(text)
    return line if len(line) <= limit else line[: limit - 1] + "…"


_UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_filename(text: str, limit: int = 80) -> str:
    """A name usable as one path component: no '/', no '..', no leading '.' or '-'."""
    name = _UNSAFE_FILENAME_CHARS.sub("_", text).lstrip(".-")[:limit]
    return name or "_"
