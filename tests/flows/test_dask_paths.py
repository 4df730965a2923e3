"""A Dask cluster started in another working directory: relative inputs and `--out` still
mean what they meant where the command ran, and a worker that cannot reach them is refused
with one line before any shard is sent."""

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from chat_server import ChatServer
from dask_cluster import DaskCluster
from distributed import Client
from markers import make_marked_pdf

from extractors.errors import RunAbortedError
from flows.orchestration.dask_shards import check_workers


@pytest.mark.slow
def test_relative_inputs_and_out_are_those_of_the_command_not_the_workers(
    tmp_path: Path, dask_cluster: DaskCluster
) -> None:
    (tmp_path / "in").mkdir()
    make_marked_pdf(tmp_path / "in" / "doc_1.pdf", 1, 2)
    with ChatServer() as server:
        done = subprocess.run(
            [sys.executable, "-m", "flows", "run", "in", "--out", "out",
             "--dask", dask_cluster.address, "--base-url", server.base_url, "--model", "m"],
            cwd=tmp_path,
            env=dask_cluster.environment(),
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
def test_a_worker_that_cannot_read_an_input_is_one_line(
    tmp_path: Path, dask_cluster: DaskCluster
) -> None:
    """The flow's own process checked the input: only a worker elsewhere can miss it (here it
    is gone by the time the workers are asked)."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in").rmdir()
    with Client(dask_cluster.address, timeout=60) as client:
        with pytest.raises(RunAbortedError, match=r"^dask worker tcp://\S+: cannot read input "):
            check_workers(client, str(tmp_path / "out"), [str(tmp_path / "in")])
        check_workers(client, str(tmp_path / "out"), [str(tmp_path)])  # reachable: no error
