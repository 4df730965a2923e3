"""A local Prefect server kept for reuse, so that a run does not pay Prefect's start-up again.

Without a server, every flow run starts Prefect's temporary one (~10 s on this kind of
machine, ../shared/docs/prefect.md). The first run here starts `prefect server start
--background` on a loopback port instead and records the port in PREFECT_HOME; later runs
find it by a health check and connect in about a second. `visionbatch server stop` stops it.
PREFECT_API_URL (in the environment or the active Prefect profile) always wins, and
VISIONBATCH_PREFECT_SERVER=temporary keeps Prefect's own temporary server per run.
"""

import json
import os
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

from filelock import FileLock

_STATE = "visionbatch-server.json"
_OPT_OUT = "VISIONBATCH_PREFECT_SERVER"
# A fresh PREFECT_HOME takes ~14 s to migrate its database; a slow machine more.
_START_TIMEOUT = 120.0


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
    when none answers; None when a configured server or the temporary one is to be used."""
    if configured_api_url() or os.environ.get(_OPT_OUT) == "temporary":
        return None
    home = prefect_home()
    home.mkdir(parents=True, exist_ok=True)
    # Two commands started together must not start two servers.
    with FileLock(home / "visionbatch-server.lock"):
        api_url = running_server() or _start(home)
    os.environ["PREFECT_API_URL"] = api_url
    return api_url


def running_server() -> str | None:
    """The reusable server's API URL when it answers its health check."""
    try:
        port = int(json.loads((prefect_home() / _STATE).read_text())["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    api_url = f"http://127.0.0.1:{port}/api"
    return api_url if healthy(api_url) else None


def stop_server() -> bool:
    """Stop the reusable server (Prefect's own `server stop`); whether one was running."""
    state = prefect_home() / _STATE
    was_running = running_server() is not None
    subprocess.run(
        [str(_prefect_command()), "server", "stop"],
        capture_output=True,
        env=_server_environment(),
        timeout=60,
        check=False,
    )
    state.unlink(missing_ok=True)
    return was_running


def healthy(api_url: str, timeout: float = 1.0) -> bool:
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
    pid_file = home / "server.pid"
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


def _start(home: Path) -> str:
    port = free_port()
    _forget_dead_server(home)
    started = subprocess.run(
        server_command(port, "--background"),
        capture_output=True,
        env=_server_environment(),
        timeout=_START_TIMEOUT,
        check=False,
    )
    if started.returncode != 0:
        said = (started.stderr or started.stdout).decode(errors="replace")
        reason = " ".join(said.split())[-300:] or f"exit status {started.returncode}"
        raise PrefectServerError(f"cannot start a local Prefect server: {reason}")
    (home / _STATE).write_text(json.dumps({"port": port}))
    api_url = f"http://127.0.0.1:{port}/api"
    wait_healthy(api_url, _START_TIMEOUT, None)
    return api_url


def _prefect_command() -> Path:
    return Path(sys.executable).with_name("prefect")


def _server_environment() -> dict[str, str]:
    environment = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    environment.pop("PREFECT_API_URL", None)
    return environment
