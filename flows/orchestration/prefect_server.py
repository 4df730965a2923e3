"""A local Prefect server kept for reuse, so that a run does not pay Prefect's start-up again.

Without a server, every flow run starts Prefect's temporary one (~10 s on this kind of
machine, ../shared/docs/prefect.md). The first run here starts `prefect server start` on a
loopback port instead, in a session of its own (so that `timeout`, a CI step or a closed
terminal, which end the command's process group, leave it running), with Prefect's basic auth
on a secret only this user can read (`flows/orchestration/server_identity.py`); later runs
find it, check that it is theirs, and connect in about a second. `visionbatch server stop` stops it.
PREFECT_API_URL (in the environment or the active Prefect profile) always wins, and
VISIONBATCH_PREFECT_SERVER=temporary keeps Prefect's own temporary server per run.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

from filelock import FileLock

from flows.orchestration.server_identity import (
    ServerRecord,
    is_ours,
    make_files_private,
    make_private_dir,
    new_auth_string,
    owns_listening_port,
    write_private,
)

_STATE = "visionbatch-server.json"
_LOG = "visionbatch-server.log"
_PREFECT_PID = "server.pid"  # Prefect's own, so that `prefect server stop` stops ours too
_DATABASE = ("prefect.db", "prefect.db-wal", "prefect.db-shm")
_OPT_OUT = "VISIONBATCH_PREFECT_SERVER"
# A fresh PREFECT_HOME takes ~14 s to migrate its database; a slow machine more.
_START_TIMEOUT = 120.0
# uvicorn waits for open connections (a run's event stream) before it exits: then SIGKILL
# (SQLite in WAL mode survives it).
_STOP_TIMEOUT = 10.0


class PrefectServerError(RuntimeError):
    """The reusable server could not be started or reached."""


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


def configured_api_url() -> str | None:
    """PREFECT_API_URL from the environment, else from the active Prefect profile."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    profiles = prefect_home() / "profiles.toml"
    try:
        data = tomllib.loads(profiles.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    active = os.environ.get("PREFECT_PROFILE") or data.get("active") or "ephemeral"
    url = data.get("profiles", {}).get(active, {}).get("PREFECT_API_URL")
    return str(url) if url else None


def use_reusable_server() -> str | None:
    """Point this process (and Prefect, imported later) at the reusable server, starting it
    when ours does not answer; None when a configured server or the temporary one is used."""
    if configured_api_url() or os.environ.get(_OPT_OUT) == "temporary":
        return None
    # Other local users can read neither the secret nor the database.
    home = make_private_dir(prefect_home())
    # Two commands started together must not start two servers.
    with FileLock(home / "visionbatch-server.lock", mode=0o600):
        server = _our_server() or _start(home)
    make_files_private(home, _DATABASE)
    os.environ["PREFECT_API_URL"] = server.api_url
    os.environ["PREFECT_API_AUTH_STRING"] = server.auth
    return server.api_url


def running_server() -> str | None:
    """The reusable server's API URL when it is running and ours."""
    server = _our_server()
    return server.api_url if server else None


def stop_server() -> bool:
    """Stop the reusable server; whether one of ours was running."""
    home = prefect_home()
    record = _read_record(home)
    ours = record is not None and owns_listening_port(record.pid, record.port)
    if record is not None and ours:
        _end_process(record.pid)
        _forget_prefect_pid(home, record.pid)
    (home / _STATE).unlink(missing_ok=True)
    return ours


def _our_server() -> ServerRecord | None:
    record = _read_record(prefect_home())
    return record if record is not None and is_ours(record) else None


def _read_record(home: Path) -> ServerRecord | None:
    try:
        state = json.loads((home / _STATE).read_text(encoding="utf-8"))
        return ServerRecord(int(state["port"]), int(state["pid"]), str(state["auth"]))
    except (OSError, ValueError, KeyError, TypeError):  # none yet, or an older format
        return None


def healthy(api_url: str, timeout: float = 1.0) -> bool:
    """Whether a server answers Prefect's health check (exempt from auth: says not whose)."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def wait_healthy(api_url: str, timeout: float, alive: "subprocess.Popen[bytes] | None") -> None:
    """Return once the server answers; PrefectServerError when it dies or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and alive.poll() is not None:
            raise PrefectServerError(
                f"the Prefect server exited at start (code {alive.returncode})"
            )
        if healthy(api_url, timeout=2):
            return
        time.sleep(0.5)
    raise PrefectServerError(f"the Prefect server did not answer within {timeout:.0f} s")


def _forget_dead_server(home: Path) -> None:
    """Remove Prefect's pid file of a server that is no longer running (a reboot, a kill -9):
    `prefect server start --background` refuses to start while the file exists."""
    pid_file = home / _PREFECT_PID
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pid_file.unlink(missing_ok=True)
    except PermissionError:  # alive, another user's
        return


def server_command(port: int, *extra: str) -> list[str]:
    """`prefect server start` on this loopback port, without UI or analytics."""
    command = [str(_prefect_command()), "server", "start", "--host", "127.0.0.1"]
    return [*command, "--port", str(port), "--no-ui", "--analytics-off", *extra]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(home: Path) -> ServerRecord:
    """A new server on a new port, with a new secret; whatever held the old port is left be."""
    _retire(_read_record(home))
    _forget_dead_server(home)
    try:
        return _start_on_free_port(home)
    except PrefectServerError:
        # Another process may take a free port before the server binds it (seen with several
        # servers starting at once): one more try, on another port.
        return _start_on_free_port(home)


def _start_on_free_port(home: Path) -> ServerRecord:
    auth = new_auth_string()
    port = free_port()
    process = _launch(home, port, auth)
    record = ServerRecord(port, process.pid, auth)
    write_private(home / _STATE, json.dumps({"port": port, "pid": record.pid, "auth": auth}))
    write_private(home / _PREFECT_PID, str(record.pid))
    try:
        wait_healthy(record.api_url, _START_TIMEOUT, process)
        # Its first answers are slow (about a second on a busy 2-core machine).
        if not is_ours(record, timeout=_START_TIMEOUT / 4):
            raise PrefectServerError("a server answered on its port but is not the one started")
    except PrefectServerError as exc:
        _end_process(record.pid)
        _forget_prefect_pid(home, record.pid)
        (home / _STATE).unlink(missing_ok=True)
        raise PrefectServerError(f"{exc}{_last_words(home)}") from None
    return record


def _launch(home: Path, port: int, auth: str) -> "subprocess.Popen[bytes]":
    """The server in a session of its own (it outlives the command's process group, by
    design), its files created 0600 (umask), its output in a log file of PREFECT_HOME."""
    write_private(home / _LOG, "")
    with (home / _LOG).open("ab") as log:
        return subprocess.Popen(
            server_command(port),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**_server_environment(), "PREFECT_SERVER_API_AUTH_STRING": auth},
            start_new_session=True,
            umask=0o077,
        )


def _retire(record: ServerRecord | None) -> None:
    """Stop a server of ours that no longer takes its secret (its record was rewritten)."""
    if record is not None and owns_listening_port(record.pid, record.port):
        _end_process(record.pid)


def _end_process(pid: int) -> None:
    """SIGTERM, then SIGKILL if it is still there after a while. Not our child: polled."""
    for sig, patience in ((signal.SIGTERM, _STOP_TIMEOUT), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)  # our child when this process started it
        if waited == pid:
            return False
    except ChildProcessError:
        pass  # started by another command: only polled
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _forget_prefect_pid(home: Path, pid: int) -> None:
    pid_file = home / _PREFECT_PID
    try:
        if int(pid_file.read_text().strip()) == pid:
            pid_file.unlink()
    except (OSError, ValueError):
        return


def _last_words(home: Path) -> str:
    """The end of the server's log, for the error that says it did not start."""
    try:
        said = (home / _LOG).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    lines = [line.strip() for line in said.splitlines() if line.strip()]
    return f": {lines[-1][-300:]}" if lines else ""


def _prefect_command() -> Path:
    return Path(sys.executable).with_name("prefect")


def _server_environment() -> dict[str, str]:
    environment = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    for name in ("PREFECT_API_URL", "PREFECT_API_AUTH_STRING"):
        environment.pop(name, None)
    return environment
