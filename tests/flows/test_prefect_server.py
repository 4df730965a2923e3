"""The reusable local Prefect server: started by the first run, found by the next, stopped
by `visionbatch server stop`; a configured PREFECT_API_URL always wins."""

import base64
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest
from chat_server import ChatServer
from markers import make_marked_image
from reusable_server import record, server_env, start_server, visionbatch

from flows.orchestration.prefect_server import configured_api_url


def _flow_runs(api_url: str, auth: str) -> int:
    token = base64.b64encode(auth.encode()).decode()
    headers = {"Content-Type": "application/json", "Authorization": f"Basic {token}"}
    request = urllib.request.Request(f"{api_url}/flow_runs/count", data=b"{}", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(json.loads(answer.read()))


@pytest.mark.slow
def test_runs_reuse_one_local_server_until_it_is_stopped(tmp_path: Path) -> None:
    home = tmp_path / "prefect"
    env = server_env(home)
    (tmp_path / "in").mkdir()
    make_marked_image(tmp_path / "in" / "img_1.png", 1)
    try:
        with ChatServer() as server:
            command = ["run", str(tmp_path / "in"), "--out", str(tmp_path / "out")]
            command += ["--base-url", server.base_url, "--model", "m"]
            first = visionbatch(env, *command)
            assert first.returncode == 0, first.stderr[-2000:]
            port = json.loads((home / "visionbatch-server.json").read_text())["port"]
            make_marked_image(tmp_path / "in" / "img_2.png", 2)
            second = visionbatch(env, *command)
            assert second.returncode == 0, second.stderr[-2000:]
        # The second run found the first one's server: same port, both runs recorded there.
        assert json.loads((home / "visionbatch-server.json").read_text())["port"] == port
        api_url = f"http://127.0.0.1:{port}/api"
        assert _flow_runs(api_url, str(record(home)["auth"])) == 2
        assert visionbatch(env, "server", "status").stdout.strip() == f"running at {api_url}"
        rows = pl.read_parquet(str(tmp_path / "out" / "pages" / "*.parquet"))
        assert sorted(rows["status"]) == ["ok", "ok"]
    finally:
        stopped = visionbatch(env, "server", "stop")
    assert stopped.stdout.strip() == "stopped"
    assert visionbatch(env, "server", "status").stdout.strip() == "not running"


def test_a_configured_api_url_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("PREFECT_PROFILE", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    assert configured_api_url() is None
    (tmp_path / "profiles.toml").write_text(
        'active = "team"\n[profiles.team]\nPREFECT_API_URL = "http://prefect.example:4200/api"\n'
    )
    assert configured_api_url() == "http://prefect.example:4200/api"
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4300/api")
    assert configured_api_url() == "http://127.0.0.1:4300/api"


def test_a_dead_servers_pid_file_is_forgotten_and_a_live_ones_kept(tmp_path: Path) -> None:
    """After a reboot or a kill -9, Prefect's pid file names no process, and `prefect server
    start --background` refuses to start while it exists: the run's server could never start."""
    from flows.orchestration.prefect_server import _forget_dead_server

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # reaped: its pid names no process now
    pid_file = tmp_path / "server.pid"
    pid_file.write_text(str(dead.pid))
    _forget_dead_server(tmp_path)
    assert not pid_file.exists()
    pid_file.write_text(str(os.getpid()))
    _forget_dead_server(tmp_path)
    assert pid_file.read_text() == str(os.getpid())


class _Stranger(http.server.BaseHTTPRequestHandler):
    """Another local user's server on the port: answers everything, keeps the headers."""

    seen: ClassVar[list[dict[str, str]]] = []

    def _answer(self) -> None:
        self.seen.append(dict(self.headers))
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.mark.slow
def test_a_stranger_on_the_recorded_port_gets_no_secret_and_a_new_server_runs(
    tmp_path: Path,
) -> None:
    home = tmp_path / "prefect"
    env = server_env(home)
    (tmp_path / "in").mkdir()
    make_marked_image(tmp_path / "in" / "img_1.png", 1)
    try:
        start_server(env)
        old = record(home)
        old_port, old_pid = int(str(old["port"])), int(str(old["pid"]))
        os.kill(old_pid, signal.SIGKILL)  # died; its record stays
        _wait_gone(old_pid)
        _Stranger.seen = []
        stranger = http.server.ThreadingHTTPServer(("127.0.0.1", old_port), _Stranger)
        threading.Thread(target=stranger.serve_forever, daemon=True).start()
        try:
            with ChatServer() as chat:
                command = ["run", str(tmp_path / "in"), "--out", str(tmp_path / "out")]
                run = visionbatch(env, *command, "--base-url", chat.base_url, "--model", "m")
        finally:
            stranger.shutdown()
            stranger.server_close()
        assert run.returncode == 0, run.stderr[-2000:]
        new = record(home)
        assert new["port"] != old_port and new["auth"] != old["auth"]
        # Whatever the stranger was asked, our secret was never in it.
        assert not any("Authorization" in headers for headers in _Stranger.seen)
        rows = pl.read_parquet(str(tmp_path / "out" / "pages" / "*.parquet"))
        assert rows["status"].to_list() == ["ok"]
    finally:
        stopped = visionbatch(env, "server", "stop")
    assert stopped.stdout.strip() == "stopped"


def _wait_gone(pid: int) -> None:
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"process {pid} still there")
