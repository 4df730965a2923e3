"""A batch run killed while it waits resumes the batches it recorded, submitting nothing twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batch_runs import KEY, batch_run
from batch_server import BatchServer
from markers import make_marked_pdf
from page_checks import assert_every_page_once_ok
from repo_paths import REPO, with_test_imports

RUNNER = REPO / "tests" / "support" / "batch_runs.py"


def _recorded_batches(out: Path) -> list[str]:
    state = out / "batches" / "state.json"
    if not state.exists():
        return []
    return [b["batch_id"] for b in json.loads(state.read_text())["batches"] if b["batch_id"]]


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_stopped_while_waiting_then_the_same_command_resumes_the_same_batch(
    stop: signal.Signals, tmp_path: Path
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for doc in (1, 2):
        make_marked_pdf(inputs / f"doc_{doc}.pdf", doc, 4)
    out = tmp_path / "out"
    with BatchServer(api_key=KEY) as server:
        arguments = {
            "inputs": [str(inputs)],
            "out": str(out),
            "base_url": server.base_url,
            "max_images": 3,
            "batch_poll_interval": 3600,  # it waits: the kill lands while it does
        }
        runner = subprocess.Popen(
            [sys.executable, str(RUNNER), json.dumps(arguments)],
            cwd=REPO,
            env=with_test_imports(dict(os.environ)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 120
            while not _recorded_batches(out) and time.monotonic() < deadline:
                assert runner.poll() is None, "the runner ended before it recorded a batch"
                time.sleep(0.1)
        finally:
            os.killpg(runner.pid, stop)
            try:
                runner.wait(timeout=30)
            finally:
                if runner.poll() is None:
                    os.killpg(runner.pid, signal.SIGKILL)
                    runner.wait()
        recorded = _recorded_batches(out)
        assert recorded == list(server.jobs)

        outcome = batch_run([inputs], out, base_url=server.base_url, max_images=3)

        assert outcome.collected
        assert list(server.jobs) == recorded  # no batch submitted again
        lines = [line for job in server.jobs.values() for line in job.lines]
        pages = [len(line.body["messages"][0]["content"]) // 2 for line in lines]
        assert sum(pages) == 8  # every page in exactly one line
        assert server.request_count == 0
    df = assert_every_page_once_ok(out, 8)
    assert df["batch_id"].unique().to_list() == recorded
