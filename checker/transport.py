"""SSH to the lab's nodes with paramiko: host keys checked as OpenSSH does.

A `NodeSession` is one authenticated connection; `run_script` is one round trip
(one `exec` carrying a whole shell script on stdin). Round trips are counted so
the benchmark can show that grading costs a fixed number of them per node.

A node is untrusted (see boundary.py): the whole exchange with it — TCP connect, SSH
handshake, authentication, the script's run and its output — ends by one `Deadline`,
enforced by a watchdog that shuts the socket down; its output is read in chunks up to
`Limits.max_output` bytes and decoded and cleaned before anyone else sees it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import hashlib
import select
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import paramiko

from checker.boundary import (
    MAX_KNOWN_HOSTS_BYTES,
    MIB,
    Deadline,
    Limits,
    clean_line,
    decode_node_output,
    read_untrusted_file,
)
from checker.errors import NodeError, UsageError
from checker.inventory import Host, load_private_key

DEFAULT_KNOWN_HOSTS = Path("~/.ssh/known_hosts").expanduser()
CONNECT_TIMEOUT = 10.0
_CHUNK = 64 * 1024
# After the exit status, how long to wait for the EOF that says all output has arrived.
_EOF_GRACE_S = 5.0


@dataclass
class ScriptResult:
    exit_status: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class SshOptions:
    """How labcheck reaches every node of a lab."""

    known_hosts: Path = DEFAULT_KNOWN_HOSTS
    accept_new_host_keys: bool = False
    connect_timeout: float = CONNECT_TIMEOUT  # TCP connect, and each SSH handshake phase
    limits: Limits = field(default_factory=Limits)  # the whole exchange with one node

    def connect(self, host: Host, deadline_s: float | None = None) -> NodeSession:
        """A session to `host`; `deadline_s` widens the deadline for long instructor jobs."""
        limits = self.limits if deadline_s is None else replace(self.limits, deadline_s=deadline_s)
        return NodeSession.connect(host, self.known_hosts, self.accept_new_host_keys,
                                   self.connect_timeout, limits)


def read_known_hosts(path: Path) -> list[paramiko.hostkeys.HostKeyEntry]:
    """The entries of a known_hosts file, or a UsageError naming the line (exit 2).

    paramiko raises InvalidHostKey or UnicodeDecodeError from deep inside a connection;
    reading the file here turns that into one clear message. Unknown key types are skipped,
    as paramiko's own loader does; @cert-authority and @revoked lines, which paramiko cannot
    honour, are refused rather than silently ignored."""
    if not path.exists():
        return []  # like OpenSSH: no file, no known hosts yet
    data = read_untrusted_file(path, MAX_KNOWN_HOSTS_BYTES, "known_hosts", UsageError)
    entries = []
    for number, raw in enumerate(data.split(b"\n"), 1):
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise UsageError(f"known_hosts {path}, linha {number}: não é texto UTF-8.") from None
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            raise UsageError(f"known_hosts {path}, linha {number}: marcadores como "
                             f"{clean_line(line.split()[0])} não são suportados pelo labcheck; "
                             "use um known_hosts só com chaves de host (--known-hosts).")
        try:
            entry = paramiko.hostkeys.HostKeyEntry.from_line(line, number)
        except Exception as exc:  # InvalidHostKey, binascii and key-parsing errors alike
            raise UsageError(
                f"known_hosts {path}, linha {number}: entrada inválida "
                f"({clean_line(type(exc).__name__)}). Corrija ou apague essa linha."
            ) from None
        if entry is not None:
            entries.append(entry)
    return entries


_known_hosts_cache: dict[Path, tuple[tuple[int, int], list[paramiko.hostkeys.HostKeyEntry]]] = {}
_known_hosts_lock = threading.Lock()


def known_host_entries(path: Path) -> list[paramiko.hostkeys.HostKeyEntry]:
    """read_known_hosts, parsed once per version of the file.

    A class run connects to hundreds of nodes with the same file; parsing it on every
    connection made each lab's cost grow with the class (600 entries: 5x the CPU per lab).
    A key recorded by --accept-new-host-keys changes the file's size and time, so the next
    connection reads it again."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return []
    except OSError:
        return read_known_hosts(path)  # let it say what is wrong, in pt-BR
    stamp = (info.st_mtime_ns, info.st_size)
    with _known_hosts_lock:
        cached = _known_hosts_cache.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    entries = read_known_hosts(path)
    with _known_hosts_lock:
        _known_hosts_cache[path] = (stamp, entries)
    return entries


def _names_match(entry_name: str, wanted: set[str]) -> bool:
    """paramiko's own rule: the same name, or OpenSSH's hashed form of it."""
    if entry_name.startswith("|1|"):
        try:  # the entry carries its salt: hash each wanted name with it
            return any(paramiko.HostKeys.hash_host(name, entry_name) == entry_name
                       for name in wanted)
        except (ValueError, AssertionError, binascii.Error):  # a malformed salt: no match
            return False
    return entry_name in wanted


class _AppendNewHostKey(paramiko.MissingHostKeyPolicy):
    """Like OpenSSH's StrictHostKeyChecking=accept-new: record unknown keys, never changed ones."""

    def __init__(self, known_hosts: Path) -> None:
        self.known_hosts = known_hosts

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key) -> None:
        self.known_hosts.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self.known_hosts.open("a", encoding="ascii") as out:
            out.write(f"{hostname} {key.get_name()} {key.get_base64()}\n")
        client.get_host_keys().add(hostname, key.get_name(), key)


class _UnknownHostKey(paramiko.MissingHostKeyPolicy):
    def __init__(self, node: str, known_hosts: Path) -> None:
        self.node = node
        self.known_hosts = known_hosts

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key) -> None:
        raise NodeError(
            self.node,
            f"chave de host desconhecida para {hostname} ({key.get_name()}, "
            f"SHA256:{_fingerprint(key)}), ausente de {self.known_hosts}. Confira a impressão "
            "digital e rode de novo com --accept-new-host-keys para registrá-la.",
        )


class _AcceptAnyHostKey(paramiko.MissingHostKeyPolicy):
    """For sources that disable checking themselves (vagrant ssh-config)."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key) -> None:
        return None


def _fingerprint(key: paramiko.PKey) -> str:
    return base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")


def _connect_failure(exc: OSError, where: str) -> str:
    if isinstance(exc, socket.gaierror):
        return f"nome não resolvido: {where}."
    if isinstance(exc, TimeoutError):
        return f"tempo esgotado ao conectar em {where}."
    if exc.errno == errno.ECONNREFUSED:
        return f"conexão recusada em {where} (o sshd está rodando?)."
    if exc.errno in {errno.EHOSTUNREACH, errno.ENETUNREACH}:
        return f"sem rota até {where} (o nó está ligado? o endereço está certo?)."
    return f"não foi possível conectar em {where}: {clean_line(exc.strerror or str(exc))}"


def _handshake_failure(exc: Exception, host: Host, where: str, known_hosts: Path,
                       deadline: Deadline) -> NodeError | None:
    """What went wrong between TCP connect and a logged-in session, as the node's error;
    None for an exception that is not about the node (a bug: let it through)."""
    if isinstance(exc, NodeError):  # raised by our host-key policy, already worded
        return exc
    if isinstance(exc, paramiko.BadHostKeyException):
        return NodeError(
            host.name,
            f"a chave de host de {host.address} MUDOU (esperada SHA256:"
            f"{_fingerprint(exc.expected_key)}, recebida SHA256:{_fingerprint(exc.key)}). "
            "Se o nó foi recriado, remova a chave antiga com "
            f"ssh-keygen -f {known_hosts} -R {host.address}; senão, pode ser um ataque.",
        )
    if isinstance(exc, paramiko.AuthenticationException):
        # paramiko words its own auth_timeout so; the server did not say no
        if deadline.expired or "timeout" in str(exc).lower():
            return NodeError(host.name, f"tempo esgotado ao autenticar em {where}.")
        key = host.key_file or "as chaves padrão do seu usuário"
        return NodeError(
            host.name,
            f"autenticação recusada em {where} com {key}. Confira ansible_user e "
            "ansible_ssh_private_key_file no inventário.",
        )
    if isinstance(exc, OSError | EOFError | paramiko.SSHException | ValueError):
        if deadline.expired or isinstance(exc, TimeoutError):
            return NodeError(host.name, f"tempo esgotado ao conectar em {where} (o sshd "
                                        "não completou o SSH a tempo).")
        return NodeError(host.name, f"falha de SSH em {where}: {clean_line(str(exc))}")
    return None


class _Watchdog:
    """Shuts a socket down when the deadline passes, whatever paramiko is waiting for."""

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        self._sock = sock
        self._timer = threading.Timer(deadline.remaining(), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with contextlib.suppress(OSError):  # already closed: nothing left to stop
            self._sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


class NodeSession:
    """An open SSH connection to one node, bounded by one deadline."""

    def __init__(self, host: Host, client: paramiko.SSHClient, deadline: Deadline,
                 watchdog: _Watchdog | None = None, limits: Limits | None = None) -> None:
        self.host = host
        self._client = client
        self._deadline = deadline
        self._watchdog = watchdog
        self.limits = limits or Limits(deadline_s=deadline.seconds)
        self.round_trips = 0

    def _timed_out(self, deadline: Deadline) -> NodeError:
        return NodeError(self.host.name, f"o nó não respondeu a tempo: a troca passou de "
                                         f"{deadline.seconds:.0f} s (--timeout).")

    @classmethod
    def connect(
        cls,
        host: Host,
        known_hosts: Path = DEFAULT_KNOWN_HOSTS,
        accept_new_host_keys: bool = False,
        timeout: float = CONNECT_TIMEOUT,
        limits: Limits | None = None,
    ) -> NodeSession:
        """Connect within `timeout` s; everything after, up to `close`, within `limits`."""
        limits = limits or Limits()
        deadline = Deadline(limits.deadline_s)
        if host.down:
            raise NodeError(host.name, host.down)
        client = paramiko.SSHClient()
        if host.verify_host_key:
            # read and validated here (paramiko's own loader would raise from deep inside the
            # connection); only this node's entries, under the name paramiko looks up
            known = client.get_host_keys()
            wanted = {host.address if host.port == 22 else f"[{host.address}]:{host.port}"}
            for entry in known_host_entries(known_hosts):
                for name in entry.hostnames:
                    if _names_match(name, wanted):
                        known.add(name, entry.key.get_name(), entry.key)
            policy: paramiko.MissingHostKeyPolicy = (
                _AppendNewHostKey(known_hosts)
                if accept_new_host_keys
                else _UnknownHostKey(host.name, known_hosts)
            )
        else:
            policy = _AcceptAnyHostKey()
        client.set_missing_host_key_policy(policy)
        # Loaded here, not handed to paramiko as a file name: given a file, paramiko tries
        # each key type in turn and, when the server turns the right one down (a timeout
        # under load), reports the last type's parse error ("encountered RSA key, expected
        # OPENSSH key") instead of what went wrong.
        pkey = None
        if host.key_file is not None:
            pkey, problem = load_private_key(Path(host.key_file))
            if problem:
                raise NodeError(host.name, f"chave privada inutilizável: {problem}.")
        where = f"{host.user}@{host.address}:{host.port}"
        phase = min(timeout, deadline.remaining())
        try:
            sock = socket.create_connection((host.address, host.port), timeout=phase)
            # the script and its EOF go out at once, not after a delayed ACK (~40 ms per exec)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as exc:
            if deadline.expired:
                raise NodeError(host.name, f"tempo esgotado ao conectar em {where}.") from None
            raise NodeError(host.name, _connect_failure(exc, where)) from None
        watchdog = _Watchdog(sock, deadline)
        try:
            client.connect(
                host.address,
                port=host.port,
                username=host.user,
                pkey=pkey,
                sock=sock,
                timeout=phase,
                banner_timeout=phase,
                auth_timeout=phase,
                channel_timeout=phase,
                allow_agent=host.key_file is None,
                look_for_keys=host.key_file is None,
            )
        except Exception as exc:
            watchdog.cancel()
            client.close()
            failure = _handshake_failure(exc, host, where, known_hosts, deadline)
            if failure is None:
                raise
            raise failure from None
        return cls(host, client, deadline, watchdog, limits)

    def run_script(self, script: str, timeout: float | None = None) -> ScriptResult:
        """Run a POSIX sh script on the node: one round trip, stdin carries the script.

        Ends by the session's deadline (or `timeout` s, if sooner); output past
        `limits.max_output` bytes ends it too. Either is a NodeError naming the node."""
        command = "sh -s"
        if self.host.become and self.host.user != "root":
            # -n: never wait for a password prompt that nobody will answer.
            command = "sudo -n sh -s"
        self.round_trips += 1
        deadline = self._deadline
        if timeout is not None and timeout < deadline.remaining():
            deadline = Deadline(timeout)
        out, err = bytearray(), bytearray()
        channel = None
        exit_seen: float | None = None
        try:
            transport = self._client.get_transport()
            if transport is None or not transport.is_active():
                raise EOFError("conexão fechada")
            channel = transport.open_session(timeout=max(0.1, deadline.remaining()))
            channel.settimeout(max(0.1, deadline.remaining()))
            channel.exec_command(command)
            channel.sendall(script.encode("utf-8"))
            channel.shutdown_write()
            while True:
                remaining = deadline.remaining()
                if remaining <= 0:
                    raise TimeoutError
                select.select([channel], [], [], min(remaining, 0.5))
                while channel.recv_ready():
                    out += channel.recv(_CHUNK)
                while channel.recv_stderr_ready():
                    err += channel.recv_stderr(_CHUNK)
                if len(out) + len(err) > self.limits.max_output:
                    raise NodeError(
                        self.host.name,
                        f"o nó mandou mais de {self.limits.max_output // MIB} MiB de saída "
                        f"(leitura interrompida em {(len(out) + len(err)) // MIB} MiB; limite "
                        "--max-output). Algum comando do cluster está imprimindo sem parar?")
                # The end is the node's EOF, not its exit status: sshd may send the exit
                # status while the last of the output is still on its way (a read cut
                # before the last probe's marker was seen here, once in a full test run).
                if exit_seen is None and channel.exit_status_ready():
                    exit_seen = time.monotonic()
                # Both are needed: EOF may also come first, before the exit status.
                done = channel.closed or (exit_seen is not None and (
                    channel.eof_received or time.monotonic() - exit_seen > _EOF_GRACE_S))
                if done and not channel.recv_ready() and not channel.recv_stderr_ready():
                    break
            if not channel.exit_status_ready() and self._deadline.expired:
                raise TimeoutError  # the watchdog closed the connection
            status = channel.exit_status if channel.exit_status_ready() else -1
        except NodeError:
            raise
        except TimeoutError:
            raise self._timed_out(deadline) from None
        except (OSError, EOFError, paramiko.SSHException) as exc:
            if deadline.expired or self._deadline.expired:
                raise self._timed_out(deadline) from None
            raise NodeError(self.host.name, f"a conexão SSH caiu: {clean_line(str(exc))}") from None
        finally:
            if channel is not None:
                # after the watchdog or a dropped link, saying goodbye fails too: nothing to do
                with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
                    channel.close()
        stdout, stderr = decode_node_output(out), decode_node_output(err)
        if status != 0 and "sudo:" in stderr and "password" in stderr:
            raise NodeError(
                self.host.name,
                f"o usuário {self.host.user} precisa de sudo sem senha (ansible_become).",
            )
        return ScriptResult(status, stdout, stderr)

    def is_alive(self, timeout: float = CONNECT_TIMEOUT) -> bool:
        """Whether the connection still works. A node that rebooted or was powered off leaves
        a connection that looks open, so open (and close) a channel to be sure."""
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            return False
        try:
            transport.open_session(timeout=timeout).close()
        except (OSError, EOFError, paramiko.SSHException):
            return False
        return True

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
            self._client.close()

    def __enter__(self) -> NodeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
