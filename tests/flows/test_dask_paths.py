"""A Dask cluster started in another working directory: relative inputs and `--out` still
mean what they meant where the command ran, and a worker that cannot reach them is refused
with one line before any shard is sent."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from chat_server import ChatServer
from distributed import Client
from environment import without_endpoint_settings
from markers import make_marked_pdf
from repo_paths import REPO

from extractors.errors import RunAbortedError
from flows.orchestration.dask_shards import check_workers

# A real scheduler and worker in another directory cost about 5 minutes on a loaded 2-core
# machine (the worker imports Prefect on its first shard), a quarter of CI's budget: run them
# with VISIONBATCH_TEST_DASK_CLUSTER=1. `tests/flows/test_operations.py` runs a LocalCluster
# every time.
pytestmark = pytest.mark.skipif(
    not os.environ.get("VISIONBATCH_TEST_DASK_CLUSTER"),
    reason="a real Dask cluster: set VISIONBATCH_TEST_DASK_CLUSTER=1",
)


def _environment() -> dict[str, str]:
    return {**without_endpoint_settings(), "PYTHONPATH": str(REPO)}


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scheduler and one worker, started in a folder of their own (not the run's)."""
    elsewhere = tmp_path_factory.mktemp("cluster-cwd")
    address_file = elsewhere / "scheduler.json"
    dask = str(Path(sys.executable).with_name("dask"))
    common = {"cwd": elsewhere, "env": _environment(), "stdout": subprocess.DEVNULL}
    started = [
        subprocess.Popen(
            [dask, "scheduler", "--scheduler-file", str(address_file), "--port", "0",
             "--dashboard-address", ":0", "--no-show"],
            stderr=subprocess.DEVNULL,
            **common,  # type: ignore[call-overload]
        ),
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not address_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        started.append(
            subprocess.Popen(
                [dask, "worker", "--scheduler-file", str(address_file), "--nthreads", "1",
                 "--nworkers", "1", "--dashboard-address", ":0"],
                stderr=subprocess.DEVNULL,
                **common,  # type: ignore[call-overload]
            )
        )  # fmt: skip
        address = json.loads(address_file.read_text())["address"]
        with Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=120)
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait(timeout=60)


@pytest.mark.slow
@pytest.mark.timeout(600)  # a worker imports Prefect on its first shard: ~1 min when loaded
def test_relative_inputs_and_out_are_those_of_the_command_not_the_workers(
    tmp_path: Path, scheduler: str
) -> None:
    (tmp_path / "in").mkdir()
    make_marked_pdf(tmp_path / "in" / "doc_1.pdf", 1, 2)
    with ChatServer() as server:
        done = subprocess.run(
            [sys.executable, "-m", "flows", "run", "in", "--out", "out", "--dask", scheduler,
             "--base-url", server.base_url, "--model", "m"],
            cwd=tmp_path,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=500,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    rows = pl.read_parquet(str(tmp_path / "out" / "pages" / "*.parquet")).sort("source", "page")
    assert rows.select("source", "page", "status").rows() == [
        (str(tmp_path / "in" / "doc_1.pdf"), 1, "ok"),
        (str(tmp_path / "in" / "doc_1.pdf"), 2, "ok"),
    ]


@pytest.mark.slow
def test_a_worker_that_cannot_read_an_input_is_one_line(tmp_path: Path, scheduler: str) -> None:
    """The flow's own process checked the input: only a worker elsewhere can miss it (here it
    is gone by the time the workers are asked)."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in").rmdir()
    with Client(scheduler, timeout=60) as client:
        with pytest.raises(RunAbortedError, match=r"^dask worker tcp://\S+: cannot read input "):
            check_workers(client, str(tmp_path / "out"), [str(tmp_path / "in")])
        check_workers(client, str(tmp_path / "out"), [str(tmp_path)])  # reachable: no error
