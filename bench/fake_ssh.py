"""Lightweight SSH endpoints that answer labcheck's exec with recorded probe output.

Each node of a recording (node1, node2, node3) gets one TCP port on 127.0.0.1: the port an
SSH connection arrives on selects which node's recording answers it. Any number of labs can
point at the same three ports. Every port is served by `workers` separate processes (a pre-forked
pool: all of them bind the port with SO_REUSEPORT and the kernel spreads the connections), so
the server side runs outside the grader's process and is not capped by one GIL.

A connection must authenticate with the generated client key (public key only). An `exec`
request gets the recorded stdout (marker swapped, see recording.py), stderr and exit status,
after the whole stdin (the probe script) has been read, as sshd would. Anything else
(shell, pty, subsystem) is refused and counted. Counters per node live in shared memory.

The server sockets set TCP_NODELAY, so the fake side adds no Nagle/delayed-ACK wait of its own
(without it a 13 KB answer took ~90 ms on loopback instead of ~45 ms; the rest is the
client's side, see the report of class_scale.py).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.sharedctypes import SynchronizedArray
from pathlib import Path

import paramiko
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from recording import NodeExchange, Recording

COUNTERS = ("connections", "auth_ok", "auth_refused", "channels", "execs", "other_requests",
            "script_mismatch")
_WAIT_EXEC_S = 10.0
_ACCEPT_POLL_S = 0.5


# --- keys ---------------------------------------------------------------------------------

def write_ed25519_key(path: Path) -> paramiko.Ed25519Key:
    """A new Ed25519 private key in OpenSSH format at `path` (mode 600), and its .pub."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                            serialization.NoEncryption())
    path.touch(mode=0o600)
    path.write_bytes(pem)
    loaded = paramiko.Ed25519Key.from_private_key_file(str(path))
    path.with_suffix(".pub").write_text(f"{loaded.get_name()} {loaded.get_base64()} bench\n")
    return loaded


def known_hosts_text(host_key: paramiko.PKey, ports: dict[str, int]) -> str:
    return "".join(f"[127.0.0.1]:{port} {host_key.get_name()} {host_key.get_base64()}\n"
                   for port in ports.values())


# --- counters -----------------------------------------------------------------------------

class Counters:
    """Per-node counters in shared memory, readable by the parent at any time."""

    def __init__(self, nodes: list[str], array: SynchronizedArray) -> None:
        self.nodes = nodes
        self._array = array

    @classmethod
    def create(cls, ctx: multiprocessing.context.BaseContext, nodes: list[str]) -> Counters:
        return cls(nodes, ctx.Array("q", len(nodes) * len(COUNTERS)))

    def add(self, node: str, counter: str, n: int = 1) -> None:
        index = self.nodes.index(node) * len(COUNTERS) + COUNTERS.index(counter)
        with self._array.get_lock():
            self._array[index] += n

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._array.get_lock():
            values = list(self._array)
        width = len(COUNTERS)
        return {node: dict(zip(COUNTERS, values[i * width:(i + 1) * width], strict=True))
                for i, node in enumerate(self.nodes)}


# --- one SSH connection -------------------------------------------------------------------

class _NodeServer(paramiko.ServerInterface):
    """paramiko's callbacks for one connection to one node."""

    def __init__(self, node: str, client_key: paramiko.PKey, counters: Counters) -> None:
        self.node = node
        self.client_key = client_key
        self.counters = counters
        self.commands: dict[int, str] = {}
        self.exec_seen = threading.Condition()

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if key == self.client_key:
            self.counters.add(self.node, "auth_ok")
            return paramiko.AUTH_SUCCESSFUL
        self.counters.add(self.node, "auth_refused")
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        self.counters.add(self.node, "other_requests")
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        with self.exec_seen:
            self.commands[channel.get_id()] = command.decode("utf-8", "replace")
            self.exec_seen.notify_all()
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        self.counters.add(self.node, "other_requests")
        return False

    def check_channel_pty_request(self, *args: object) -> bool:
        self.counters.add(self.node, "other_requests")
        return False

    def check_channel_subsystem_request(self, channel: paramiko.Channel, name: str) -> bool:
        self.counters.add(self.node, "other_requests")
        return False

    def wait_command(self, channel: paramiko.Channel) -> str | None:
        with self.exec_seen:
            self.exec_seen.wait_for(lambda: channel.get_id() in self.commands, _WAIT_EXEC_S)
            return self.commands.get(channel.get_id())


def _read_stdin(channel: paramiko.Channel) -> bytes:
    data = bytearray()
    while chunk := channel.recv(65536):
        data += chunk
    return bytes(data)


def _answer(channel: paramiko.Channel, exchange: NodeExchange, server: _NodeServer) -> None:
    """One exec: read the script to EOF, send the recorded output, exit status, EOF."""
    if server.wait_command(channel) is None:
        return
    server.counters.add(exchange.node, "execs")
    script = _read_stdin(channel)
    if not exchange.same_request(script):
        server.counters.add(exchange.node, "script_mismatch")
    channel.sendall(exchange.answer_for(script))
    channel.sendall_stderr(exchange.stderr)
    channel.send_exit_status(exchange.exit_status)
    channel.shutdown_write()
    channel.close()


def _serve_connection(conn: socket.socket, exchange: NodeExchange, host_key: paramiko.PKey,
                      client_key: paramiko.PKey, counters: Counters) -> None:
    counters.add(exchange.node, "connections")
    transport = paramiko.Transport(conn)
    transport.add_server_key(host_key)
    server = _NodeServer(exchange.node, client_key, counters)
    try:
        transport.start_server(server=server)
        while transport.is_active():
            channel = transport.accept(timeout=_ACCEPT_POLL_S)
            if channel is None:
                continue
            counters.add(exchange.node, "channels")
            _answer(channel, exchange, server)
    except (OSError, EOFError, paramiko.SSHException):
        pass  # the client went away: nothing to answer
    finally:
        transport.close()


# --- one worker process -------------------------------------------------------------------

def _listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    return sock


def _accept_loop(sock: socket.socket, exchange: NodeExchange, host_key: paramiko.PKey,
                 client_key: paramiko.PKey, counters: Counters) -> None:
    while True:
        conn, _ = sock.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_serve_connection, daemon=True,
                         args=(conn, exchange, host_key, client_key, counters)).start()


def _worker(recording: Recording, ports: dict[str, int], host_key_file: Path,
            client_key_file: Path, counters: Counters, ready: multiprocessing.Queue,
            inherited: list[socket.socket]) -> None:
    for sock in inherited:  # the parent's port reservations: connections must not queue there
        sock.close()
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)  # clients hanging up are normal
    host_key = paramiko.Ed25519Key.from_private_key_file(str(host_key_file))
    client_key = paramiko.Ed25519Key.from_private_key_file(str(client_key_file))
    threads = []
    for node, port in ports.items():
        sock = _listen(port)
        threads.append(threading.Thread(
            target=_accept_loop, daemon=True,
            args=(sock, recording.nodes[node], host_key, client_key, counters)))
    for thread in threads:
        thread.start()
    ready.put(os.getpid())
    threading.Event().wait()  # serve until terminated


# --- the pool, as the parent sees it ------------------------------------------------------

@dataclass
class FakeServers:
    ports: dict[str, int]  # node -> port on 127.0.0.1
    counters: Counters
    processes: list[multiprocessing.process.BaseProcess]

    def cpu_seconds(self) -> float:
        """User + system CPU of every server process so far (from /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for proc in self.processes:
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def stop(self) -> None:
        for proc in self.processes:
            proc.terminate()
        for proc in self.processes:
            proc.join(5)


def _reserve_ports(count: int) -> list[socket.socket]:
    """Listening sockets on free ports: held until the workers listen on the same ports."""
    return [_listen(0) for _ in range(count)]


def start_servers(recording: Recording, host_key_file: Path, client_key_file: Path,
                  workers: int) -> FakeServers:
    ctx = multiprocessing.get_context("fork")
    nodes = sorted(recording.nodes)
    held = _reserve_ports(len(nodes))
    ports = {node: sock.getsockname()[1] for node, sock in zip(nodes, held, strict=True)}
    counters = Counters.create(ctx, nodes)
    ready: multiprocessing.Queue = ctx.Queue()
    processes = [ctx.Process(target=_worker, daemon=True, name=f"fake-ssh-{i}",
                             args=(recording, ports, host_key_file, client_key_file, counters,
                                   ready, held))
                 for i in range(workers)]
    for proc in processes:
        proc.start()
    for _ in processes:
        ready.get(timeout=30)
    for sock in held:  # from now on only the workers take connections
        sock.close()
    return FakeServers(ports, counters, processes)


# --- a lab made of fake endpoints ---------------------------------------------------------

@dataclass(frozen=True)
class FakeLab:
    """Running fake endpoints plus what an inventory needs to reach them."""

    servers: FakeServers
    known_hosts: Path
    client_key: Path
    roles: dict[str, str]  # node -> cluster | remote

    def inventory_text(self) -> str:
        children: dict[str, dict] = {}
        for node, role in sorted(self.roles.items()):
            hosts = children.setdefault(role, {"hosts": {}})["hosts"]
            hosts[node] = {"ansible_host": "127.0.0.1", "ansible_port": self.servers.ports[node]}
        data = {"all": {"vars": {"ansible_user": "root",
                                 "ansible_ssh_private_key_file": str(self.client_key)},
                        "children": children}}
        return yaml.safe_dump(data, sort_keys=False)

    def write_inventories(self, folder: Path, count: int) -> list[Path]:
        """`count` student inventories (aluno001.yaml ...), all pointing at these endpoints."""
        folder.mkdir(parents=True, exist_ok=True)
        text = self.inventory_text()
        paths = [folder / f"aluno{i:03d}.yaml" for i in range(1, count + 1)]
        for path in paths:
            path.write_text(text, encoding="utf-8")
        return paths


@contextlib.contextmanager
def fake_lab(recording: Recording, workdir: Path, workers: int) -> Iterator[FakeLab]:
    """Fresh host and client keys in `workdir`, the servers up, a known_hosts for them."""
    host_key_file, client_key_file = workdir / "host_ed25519", workdir / "id_ed25519"
    host_key = write_ed25519_key(host_key_file)
    write_ed25519_key(client_key_file)
    servers = start_servers(recording, host_key_file, client_key_file, workers)
    try:
        known_hosts = workdir / "known_hosts"
        known_hosts.write_text(known_hosts_text(host_key, servers.ports), encoding="ascii")
        roles = {name: ex.role for name, ex in recording.nodes.items()}
        yield FakeLab(servers, known_hosts, client_key_file, roles)
    finally:
        servers.stop()
