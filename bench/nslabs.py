"""The real namespace labs the benchmarks grade: "c1".."cN" on 192.168.231.0/24 onwards."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NSLAB = ROOT / "labs" / "nslab" / "nslab"
STATE = Path("/var/tmp/labcheck-nslab")
FIRST_SUBNET = 231


@contextmanager
def namespace_labs(count: int) -> Iterator[tuple[list[str], Path]]:
    """Bring up `count` labs; yield their names and one known_hosts file for all of them
    (in a temporary folder); take them down afterwards, whatever happened."""
    names = [f"c{i}" for i in range(1, count + 1)]
    started = time.perf_counter()
    try:
        for i, name in enumerate(names):
            subprocess.run([str(NSLAB), "up", "--name", name, "--subnet",
                            f"192.168.{FIRST_SUBNET + i}"], check=True, capture_output=True)
        print(f"{count} laboratórios no ar em {time.perf_counter() - started:.0f} s")
        with tempfile.TemporaryDirectory() as tmp:
            known = Path(tmp) / "known_hosts"
            known.write_text("".join((STATE / n / "known_hosts").read_text() for n in names))
            yield names, known
    finally:
        for name in names:
            subprocess.run([str(NSLAB), "down", "--name", name], capture_output=True)


def inventory(name: str) -> Path:
    return STATE / name / "inventory.yaml"
