"""Which server on a loopback port is ours: files only this user reads, a secret, a socket owner.

The reusable server answers only requests carrying a secret (Prefect's basic auth), kept in a
0600 file of a 0700 PREFECT_HOME, and a server is ours when the process we started still owns
the listening socket on its port. Ownership is checked first: a stranger on the port never
receives the secret. (`GET /api/health` is exempt from Prefect's auth on purpose, so a health
check alone proves nothing, ../shared/docs/scale-out.md.)
"""

import base64
import os
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

_USER = "visionbatch"


@dataclass(frozen=True)
class ServerRecord:
    """The reusable server as recorded in PREFECT_HOME: its port, its process, its secret."""

    port: int
    pid: int
    auth: str

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"


def new_auth_string() -> str:
    """`user:password` for Prefect's basic auth; a new one for every server started."""
    return f"{_USER}:{secrets.token_urlsafe(32)}"


def make_private_dir(path: Path) -> Path:
    """The directory, created if missing, readable and writable by this user only."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_private(path: Path, text: str) -> None:
    """Write a file that only this user can read (0600 from its creation on)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    path.chmod(0o600)  # a file that existed keeps its mode through O_CREAT


def make_files_private(home: Path, names: tuple[str, ...]) -> None:
    """0600 for these files of PREFECT_HOME when they exist (a database created before)."""
    for name in names:
        try:
            (home / name).chmod(0o600)
        except FileNotFoundError:
            continue


def owns_listening_port(pid: int, port: int) -> bool:
    """Whether this user's process `pid` listens on loopback `port` (not a stranger on it)."""
    try:
        process = psutil.Process(pid)
        if process.uids().real != os.getuid():
            return False
        connections = process.net_connections(kind="tcp")
    except (psutil.Error, OSError):  # gone, a zombie, or another user's process
        return False
    return any(
        c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port for c in connections
    )


def answers_with_auth(record: ServerRecord, timeout: float) -> bool:
    """Whether the server accepts our secret on a route that requires it."""
    token = base64.b64encode(record.auth.encode()).decode()
    request = urllib.request.Request(
        f"{record.api_url}/admin/version", headers={"Authorization": f"Basic {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):  # HTTPError (401, 404) is a URLError
        return False


def is_ours(record: ServerRecord, timeout: float = 5.0) -> bool:
    """Our process owns the port and the server takes our secret, in that order."""
    return owns_listening_port(record.pid, record.port) and answers_with_auth(record, timeout)
