"""SSH to the lab's nodes with paramiko: host keys checked as OpenSSH does.

A `NodeSession` is one authenticated connection; `run_script` is one round trip
(one `exec` carrying a whole shell script on stdin). Round trips are counted so
the benchmark can show that grading costs a fixed number of them per node.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import socket
from dataclasses import dataclass
from pathlib import Path

import paramiko

from checker.errors import NodeError
from checker.inventory import Host

DEFAULT_KNOWN_HOSTS = Path("~/.ssh/known_hosts").expanduser()
CONNECT_TIMEOUT = 10.0


@dataclass
class ScriptResult:
    exit_status: int
    stdout: str
    stderr: str


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


def _connect_failure(exc: paramiko.ssh_exception.NoValidConnectionsError, where: str) -> str:
    codes = {getattr(e, "errno", None) for e in exc.errors.values()}
    if errno.ECONNREFUSED in codes:
        return f"conexão recusada em {where} (o sshd está rodando?)."
    if codes & {errno.EHOSTUNREACH, errno.ENETUNREACH}:
        return f"sem rota até {where} (o nó está ligado? o endereço está certo?)."
    return f"não foi possível conectar em {where}: {exc}"


class NodeSession:
    """An open SSH connection to one node."""

    def __init__(self, host: Host, client: paramiko.SSHClient) -> None:
        self.host = host
        self._client = client
        self.round_trips = 0

    @classmethod
    def connect(
        cls,
        host: Host,
        known_hosts: Path = DEFAULT_KNOWN_HOSTS,
        accept_new_host_keys: bool = False,
        timeout: float = CONNECT_TIMEOUT,
    ) -> NodeSession:
        if host.down:
            raise NodeError(host.name, host.down)
        client = paramiko.SSHClient()
        if host.verify_host_key:
            if known_hosts.exists():
                try:
                    client.load_host_keys(str(known_hosts))
                except (OSError, paramiko.SSHException) as exc:
                    raise NodeError(host.name, f"não foi possível ler {known_hosts}: {exc}") from None
            policy: paramiko.MissingHostKeyPolicy = (
                _AppendNewHostKey(known_hosts)
                if accept_new_host_keys
                else _UnknownHostKey(host.name, known_hosts)
            )
        else:
            policy = _AcceptAnyHostKey()
        client.set_missing_host_key_policy(policy)
        where = f"{host.user}@{host.address}:{host.port}"
        try:
            client.connect(
                host.address,
                port=host.port,
                username=host.user,
                key_filename=host.key_file,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
                allow_agent=host.key_file is None,
                look_for_keys=host.key_file is None,
            )
        except NodeError:
            client.close()
            raise
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise NodeError(
                host.name,
                f"a chave de host de {host.address} MUDOU (esperada SHA256:"
                f"{_fingerprint(exc.expected_key)}, recebida SHA256:{_fingerprint(exc.key)}). "
                "Se o nó foi recriado, remova a chave antiga com "
                f"ssh-keygen -f {known_hosts} -R {host.address}; senão, pode ser um ataque.",
            ) from None
        except paramiko.AuthenticationException:
            client.close()
            key = host.key_file or "as chaves padrão do seu usuário"
            raise NodeError(
                host.name,
                f"autenticação recusada em {where} com {key}. Confira ansible_user e "
                "ansible_ssh_private_key_file no inventário.",
            ) from None
        except FileNotFoundError:
            client.close()
            raise NodeError(host.name, f"chave privada não encontrada: {host.key_file}") from None
        except TimeoutError:
            client.close()
            raise NodeError(host.name, f"tempo esgotado ao conectar em {where}.") from None
        except paramiko.ssh_exception.NoValidConnectionsError as exc:
            client.close()
            raise NodeError(host.name, _connect_failure(exc, where)) from None
        except socket.gaierror:
            client.close()
            raise NodeError(host.name, f"nome não resolvido: {host.address}.") from None
        except (OSError, paramiko.SSHException, ValueError) as exc:
            client.close()
            raise NodeError(host.name, f"falha de SSH em {where}: {exc}") from None
        return cls(host, client)

    def run_script(self, script: str, timeout: float = 60.0) -> ScriptResult:
        """Run a POSIX sh script on the node: one round trip, stdin carries the script."""
        command = "sh -s"
        if self.host.become and self.host.user != "root":
            # -n: never wait for a password prompt that nobody will answer.
            command = "sudo -n sh -s"
        self.round_trips += 1
        try:
            stdin, stdout, stderr = self._client.exec_command(command, timeout=timeout)
            stdin.write(script)
            stdin.channel.shutdown_write()
            out = stdout.read().decode("utf-8", errors="replace")
            err = stderr.read().decode("utf-8", errors="replace")
            status = stdout.channel.recv_exit_status()
        except TimeoutError:
            raise NodeError(self.host.name, f"o nó não respondeu em {timeout:.0f} s.") from None
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise NodeError(self.host.name, f"a conexão SSH caiu: {exc}") from None
        if status != 0 and "sudo:" in err and "password" in err:
            raise NodeError(
                self.host.name,
                f"o usuário {self.host.user} precisa de sudo sem senha (ansible_become).",
            )
        return ScriptResult(status, out, err)

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
        self._client.close()

    def __enter__(self) -> NodeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
