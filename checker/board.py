"""The class board: a small read-only web app over the grading history (Starlette + uvicorn).

GET only; nothing on the page can change a lab. It listens on 127.0.0.1 unless told
otherwise, and answers only to the host names it was started for, so a web page in the
instructor's browser cannot read the grades through DNS rebinding. The page, its script and
its style are files of this package: it works offline, with no CDN.
"""

from __future__ import annotations

import hashlib
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from checker import board_data
from checker.errors import UsageError
from checker.exercises import Exercise
from checker.history import History
from checker.watch import RoundState

STATIC = Path(__file__).resolve().parent / "board_static"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Only this app's own files and requests: no inline script, no other origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
STATIC_FILES = {"board.js": "text/javascript", "board.css": "text/css"}


def create_app(exercise: Exercise, db_path: Path, students: Callable[[], tuple[str, ...]],
               rounds: Callable[[], RoundState], allowed_hosts: list[str]) -> Starlette:
    """`students` and `rounds` are read on every request: the watcher's live state."""

    def read_history() -> History:
        return History(db_path, readonly=True)

    def json_response(request: Request, data: dict, volatile: tuple[str, ...] = ()) -> Response:
        """JSON with an ETag over everything but the `volatile` keys: a poll that finds the
        board unchanged gets a bodiless 304."""
        stable = {k: v for k, v in data.items() if k not in volatile}
        digest = hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()[:20]
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache", "ETag": f'"{digest}"'}
        if request.headers.get("if-none-match") == f'"{digest}"':
            return Response(status_code=304, headers=headers)
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        return Response(body, media_type="application/json; charset=utf-8", headers=headers)

    def board(request: Request) -> Response:
        names = students()
        labs = {}
        if db_path.is_file():
            with read_history() as history:
                labs = history.summaries(exercise.id, names)
        data = board_data.board(exercise, names, labs, rounds(), time.time())
        return json_response(request, data, volatile=("now",))

    def student(request: Request) -> Response:
        name = request.path_params["name"]
        lab = None
        if name in students() and db_path.is_file():
            with read_history() as history:
                lab = history.summaries(exercise.id, [name]).get(name)
        if lab is None:
            return JSONResponse({"erro": "aluno sem correção gravada"}, status_code=404,
                                headers=SECURITY_HEADERS)
        data = board_data.student_detail(exercise, lab) | {"now": time.time()}
        return json_response(request, data, volatile=("now",))

    def page(request: Request) -> Response:
        return FileResponse(STATIC / "board.html", media_type="text/html; charset=utf-8",
                            headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_FILES:
            return Response("não encontrado", status_code=404, headers=SECURITY_HEADERS)
        return FileResponse(STATIC / name, media_type=STATIC_FILES[name],
                            headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})

    routes = [
        Route("/", page),
        Route("/static/{name}", static),
        Route("/api/board", board),
        Route("/api/student/{name:path}", student),
    ]
    return Starlette(routes=routes,
                     middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)])


def allowed_hosts_for(host: str) -> list[str]:
    """Host headers the board answers to. Bound to every interface, it cannot know the names
    phones will use, so it accepts any (and the CLI warns the grades are on the network)."""
    if host in {"0.0.0.0", "::"}:
        return ["*"]
    return sorted(LOOPBACK | {host} if host in LOOPBACK else {host})


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, opened here so a busy port is a clear message, not a trace."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(64)
    except OSError as exc:
        sock.close()
        if exc.errno == 98:
            raise UsageError(f"A porta {port} de {host} já está em uso: escolha outra com "
                             "--port (ou --port 0 para uma livre).") from None
        raise UsageError(f"Não foi possível escutar em {host}:{port}: "
                         f"{exc.strerror or exc}.") from None
    sock.setblocking(False)
    return sock
