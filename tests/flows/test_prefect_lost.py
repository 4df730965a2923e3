"""A Prefect API that stops answering mid-run costs only its bookkeeping: the run finishes, its
rows are written, it exits with its own status and says once that Prefect lost track of it."""

import asyncio
import http.server
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import polars as pl
import pytest
from chat_server import ChatServer
from markers import make_marked_image
from repo_paths import REPO
from reusable_server import server_env, start_server, visionbatch

from flows.orchestration.bookkeeping import ControlPlane, RunEnd, outlive_lost_api
from schemas import RunSummary


def _gone_api() -> str:
    """An API URL where nothing listens (a port just freed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def live_api() -> Iterator[str]:
    """An API URL where a server answers (slowly reporting calls are then only waited for)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


async def _hangs(steps: list[str]) -> int:
    """A call to Prefect's API retrying a refused connection: its first part runs, then it waits."""
    steps.append("started")
    await asyncio.sleep(3600)
    return 1


async def _slow(result: int) -> int:
    await asyncio.sleep(1.5)  # longer than the patience before the API is looked at
    return result


def test_a_call_to_a_gone_api_is_given_up_and_the_next_ones_at_once() -> None:
    async def scenario() -> tuple[list[object], list[str]]:
        plane = ControlPlane(_gone_api())
        steps: list[str] = []
        first = await plane.keep(_hangs(steps))
        lost_after_first = plane.lost
        second = await plane.keep(_hangs(steps))
        return [first, lost_after_first, second, plane.lost], steps

    results, steps = asyncio.run(scenario())
    assert results == [None, True, None, True]
    # Each call ran up to its first wait: a progress listener before an artifact update is told.
    assert steps == ["started", "started"]


def test_a_slow_call_to_an_api_that_answers_is_waited_for(live_api: str) -> None:
    plane = ControlPlane(live_api)
    assert asyncio.run(plane.keep(_slow(7))) == 7
    assert not plane.lost


def test_a_refused_connection_from_the_call_itself_is_the_api_gone(live_api: str) -> None:
    async def refused() -> int:
        raise httpx.ConnectError("All connection attempts failed")

    plane = ControlPlane(live_api)
    assert asyncio.run(plane.keep(refused())) is None
    assert plane.lost


def test_a_finished_body_outlives_the_flows_last_reports_to_a_gone_api() -> None:
    summary = RunSummary.model_construct(run_id="r1")
    end = RunEnd()

    async def flow() -> RunSummary:
        end.finished(summary, ControlPlane(_gone_api()))
        await asyncio.sleep(3600)  # Prefect's final state report, retrying
        return RunSummary.model_construct(run_id="never")

    assert asyncio.run(outlive_lost_api(flow(), end)) is summary
    assert end.api_gone()
    assert "Prefect lost track of this run" in end.lost_track()


def test_a_report_failing_before_the_body_finished_fails_the_run() -> None:
    end = RunEnd()

    async def flow() -> RunSummary:
        raise httpx.ConnectError("All connection attempts failed")

    with pytest.raises(httpx.ConnectError):
        asyncio.run(outlive_lost_api(flow(), end))


def test_a_flow_whose_api_answers_returns_its_own_result(live_api: str) -> None:
    end = RunEnd()
    theirs = RunSummary.model_construct(run_id="flow's")

    async def flow() -> RunSummary:
        end.finished(RunSummary.model_construct(run_id="body's"), ControlPlane(live_api))
        await asyncio.sleep(1.5)
        return theirs

    assert asyncio.run(outlive_lost_api(flow(), end)) is theirs
    assert not end.api_gone()


@pytest.mark.slow
def test_stopping_the_server_mid_run_leaves_a_finished_run_and_one_line(tmp_path: Path) -> None:
    home = tmp_path / "prefect"
    env = server_env(home)
    (tmp_path / "in").mkdir()
    for doc in range(1, 9):
        make_marked_image(tmp_path / "in" / f"img_{doc}.png", doc)
    start_server(env)
    try:
        with ChatServer(latency=1.0) as chat:
            command = [sys.executable, "-m", "flows", "run", str(tmp_path / "in")]
            command += ["--out", str(tmp_path / "out"), "--base-url", chat.base_url]
            command += ["--model", "m", "--concurrency", "1", "--shard-size", "1"]
            pipe = subprocess.PIPE
            run = subprocess.Popen(command, cwd=REPO, env=env, stdout=pipe, stderr=pipe, text=True)
            try:
                # Two pages asked of eight, one at a time: the run is well under way.
                _wait_for(lambda: len(chat.requests) >= 2 or run.poll() is not None)
                stopped = visionbatch(env, "server", "stop")
                _, stderr = run.communicate(timeout=300)
            finally:
                run.kill()
    finally:
        visionbatch(env, "server", "stop")
    assert stopped.stdout.strip() == "stopped"
    assert run.returncode == 0, stderr[-3000:]
    rows = pl.read_parquet(str(tmp_path / "out" / "pages" / "*.parquet"))
    assert rows["status"].to_list() == ["ok"] * 8
    about_prefect = [line for line in stderr.splitlines() if "prefect" in line.lower()]
    assert len(about_prefect) == 1, stderr[-3000:]
    assert "Prefect lost track of this run" in about_prefect[0]


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 240
    while not condition():
        assert time.monotonic() < deadline, "the run never got going"
        time.sleep(0.1)
