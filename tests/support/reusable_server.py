"""Commands against the reusable local Prefect server, each on its own PREFECT_HOME."""

import json
import os
import subprocess
import sys
from pathlib import Path

from repo_paths import REPO


def server_env(home: Path, **extra: str) -> dict[str, str]:
    """This environment without Prefect or visionbatch settings (the suite's
    VISIONBATCH_PREFECT_SERVER=temporary included), on its own PREFECT_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VISIONBATCH_", "PREFECT_"))}
    return {**env, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **extra}


def visionbatch(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def start_server(env: dict[str, str]) -> str:
    """Start (or find) the reusable server as a run does; its API URL."""
    code = (
        "from flows.orchestration.prefect_server import use_reusable_server; "
        "print(use_reusable_server())"
    )
    started = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert started.returncode == 0, started.stderr[-2000:]
    return started.stdout.strip()


def record(home: Path) -> dict[str, object]:
    """The server's record: port, pid, auth."""
    state: dict[str, object] = json.loads((home / "visionbatch-server.json").read_text())
    return state
