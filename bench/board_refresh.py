"""Benchmark: how fresh the class board is, for a class of real namespace labs.

Brings up N real namespace labs (default 8: "c1".."c8" on 192.168.231-238.0/24, the same
as bench/class_scaling.py), runs `labcheck class watch exercise2` on them as an instructor
would (--jobs N, --every 15) and reads its board over HTTP. Prints, per round:

- refresh: from the start of a round until every lab's new result is on the board (what
  the instructor waits, at worst, after a student's fix, on top of --every);
- then the board's own cost: /api/board answered in full (200) and unchanged (304), and the
  size of its JSON.

Asserts nothing; removes its labs at the end.

Usage: .venv/bin/python bench/board_refresh.py [--labs 8] [--rounds 4]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from nslabs import inventory, namespace_labs  # this folder

ROOT = Path(__file__).resolve().parents[1]


def get(url: str, etag: str | None = None) -> tuple[int, bytes, str | None, float]:
    request = urllib.request.Request(url, headers={"If-None-Match": etag} if etag else {})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
            return response.status, body, response.headers["ETag"], time.perf_counter() - started
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return 304, b"", etag, time.perf_counter() - started
        raise


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labs", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    watch = None
    with namespace_labs(args.labs) as (names, known), tempfile.TemporaryDirectory() as tmp:
        try:
            folder = Path(tmp) / "turma"
            folder.mkdir()
            for name in names:
                (folder / f"{name}.yaml").write_text(inventory(name).read_text())
            watch = subprocess.Popen(
                [sys.executable, "-m", "checker", "class", "watch", "exercise2", "--inventories",
                 str(folder), "--every", "15", "--jobs", str(args.labs), "--port", "0",
                 "--db", str(Path(tmp) / "h.sqlite3")],
                cwd=ROOT, stdout=subprocess.PIPE, text=True,
                env={**os.environ, "LABCHECK_KNOWN_HOSTS": str(known)})
            assert watch.stdout is not None
            url = next(re.search(r"http://\S+", line).group(0)
                       for line in iter(watch.stdout.readline, "") if "http://" in line)
            print(f"labcheck class watch --jobs {args.labs} --every 15 em {url}\n")
            print(f"{'rodada':>6} {'atualização (s)':>16} {'labs':>5}")
            refreshes = []
            seen = 0
            while len(refreshes) < args.rounds:
                _, body, _, _ = get(url + "api/board")
                board = json.loads(body)
                rnd = board["round"]
                graded = [s for s in board["students"] if s["graded_at"]
                          and s["graded_at"] >= (rnd["started_at"] or 0)]
                if rnd["number"] > seen and rnd["finished_at"] and len(graded) == args.labs:
                    seen = rnd["number"]
                    refresh = max(s["graded_at"] for s in graded) - rnd["started_at"]
                    refreshes.append(refresh)
                    print(f"{seen:>6} {refresh:>16.2f} {len(graded):>5}")
                time.sleep(0.2)
            full, same = [], []
            _, body, etag, _ = get(url + "api/board")
            for _ in range(50):
                full.append(get(url + "api/board")[3])
                code, _, _, seconds = get(url + "api/board", etag)
                if code == 304:
                    same.append(seconds)
            print(f"\natualização do quadro (mediana de {len(refreshes)} rodadas): "
                  f"{statistics.median(refreshes):.2f} s para {args.labs} laboratórios")
            print(f"/api/board completo (200): mediana {1000 * statistics.median(full):.1f} ms, "
                  f"{len(body) / 1024:.1f} KiB de JSON")
            if same:
                print(f"/api/board sem mudança (304): mediana "
                      f"{1000 * statistics.median(same):.1f} ms ({len(same)} de 50 pedidos)")
        finally:
            if watch is not None:
                watch.send_signal(signal.SIGINT)
                watch.wait(timeout=60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
