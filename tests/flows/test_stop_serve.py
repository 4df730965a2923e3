"""`serve` says one line per scheduled run, and SIGINT or SIGTERM stop it with one line."""

import json
import re
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from chat_server import ChatServer
from environment import without_endpoint_settings
from markers import make_marked_image
from repo_paths import REPO

RUN_LINE = re.compile(r"run \S+: 2 files found, 2 pages ok, 0 errors, [\d.]+ s")


def _serve(tmp_path: Path, server: ChatServer, *extra: str) -> subprocess.Popen[str]:
    (tmp_path / "in").mkdir()
    for n in (1, 2):
        make_marked_image(tmp_path / "in" / f"img_{n}.png", n)
    command = [
        sys.executable, "-m", "flows", "serve", str(tmp_path / "in"),
        "--out", str(tmp_path / "out"), "--base-url", server.base_url, "--model", "m",
        "--interval", "3", *extra,
    ]  # fmt: skip
    environment = without_endpoint_settings()
    environment["PREFECT_HOME"] = str(tmp_path / "prefect")  # its server's database
    return subprocess.Popen(
        command,
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _first_line(child: subprocess.Popen[str], within: float) -> str:
    """The first line `serve` prints on stdout (its first run's), or "" when it gave none."""
    assert child.stdout is not None
    ready, _, _ = select.select([child.stdout], [], [], within)
    return child.stdout.readline().strip() if ready else ""


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize(("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_serve_says_each_run_and_stops_on_a_signal(
    tmp_path: Path, sent: signal.Signals, code: int
) -> None:
    with ChatServer() as server:
        child = _serve(tmp_path, server)
        first = _first_line(child, within=300)
        child.send_signal(sent)
        try:
            _, err = child.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            _, err = child.communicate()
            pytest.fail(f"serve still running 60 s after {sent.name}: {err[-2000:]}")
    assert RUN_LINE.fullmatch(first), (first, err[-3000:])
    assert child.returncode == code, err[-3000:]
    assert "Warning" not in err and "Traceback" not in err, err[-3000:]
    lines = err.strip().splitlines()
    assert lines[0].startswith("serving ") and lines[-1].startswith("stopped")
    assert len(lines) == 2, err[-3000:]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_serve_json_prints_each_run_as_one_json_object(tmp_path: Path) -> None:
    with ChatServer() as server:
        child = _serve(tmp_path, server, "--json")
        first = _first_line(child, within=300)
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=60)
    run = json.loads(first)
    assert RUN_LINE.fullmatch(run["line"]), (first, err[-3000:])
    assert (run["summary"]["pages_ok"], run["summary"]["pages_error"]) == (2, 0)
    assert child.returncode == 143
    assert err.strip().splitlines() == [line for line in err.splitlines() if "stopped" in line]
