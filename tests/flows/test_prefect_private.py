"""The reusable Prefect server is private: other local users can neither read nor write it.

It answers only requests with its secret (Prefect's basic auth), the secret and the database
are files of this user only, in a PREFECT_HOME only this user can enter, and the server runs
in a session of its own, so that ending the command's process group leaves it running.
"""

import base64
import os
import stat
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from reusable_server import record, server_env, start_server, visionbatch


def _status(url: str, data: bytes | None = None, auth: str | None = None) -> int:
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.slow
def test_the_server_takes_only_its_secret_and_its_files_are_the_users_alone(
    tmp_path: Path,
) -> None:
    home = tmp_path / "prefect"
    home.mkdir(mode=0o755)  # a home that exists, open to all, is closed
    env = server_env(home)
    try:
        api_url = start_server(env)
        state = record(home)
        auth, pid = str(state["auth"]), int(str(state["pid"]))
        variable = b'{"name": "planted", "value": "x"}'
        # Without the secret: neither read nor write; with it, both.
        assert _status(f"{api_url}/admin/version") == 401
        assert _status(f"{api_url}/flow_runs/filter", b"{}") == 401
        assert _status(f"{api_url}/variables/", variable) == 401
        assert _status(f"{api_url}/variables/", variable, auth="visionbatch:wrong") == 401
        assert _status(f"{api_url}/admin/version", auth=auth) == 200
        assert _status(f"{api_url}/variables/", variable, auth=auth) == 201
        assert _mode(home) == 0o700
        private = ["visionbatch-server.json", "visionbatch-server.log", "prefect.db", "server.pid"]
        assert {name: _mode(home / name) for name in private} == dict.fromkeys(private, 0o600)
        # Its own session (and process group): a closed terminal or `timeout` spares it.
        assert os.getsid(pid) == pid != os.getsid(0)
        assert os.getpgid(pid) == pid
    finally:
        stopped = visionbatch(env, "server", "stop")
    assert stopped.stdout.strip() == "stopped"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert visionbatch(env, "server", "status").stdout.strip() == "not running"
