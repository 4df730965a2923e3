"""`--concurrency` and `--rpm` hold for the whole run at the endpoint, however many Dask workers
share it: a real `dask scheduler` and two `dask worker` processes started in another folder,
the run sent to them from its own folder with a relative `--out`, as a user would."""

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from chat_server import ChatServer
from dask_cluster import DaskCluster
from markers import make_marked_pdf

# Every test here sends one run to the real cluster; the rpm one lasts a real minute.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

MINUTE = 60.0


def _documents(folder: Path, count: int) -> list[str]:
    """``count`` one-page marked PDFs in ``folder``; their absolute paths."""
    folder.mkdir()
    paths = [folder / f"doc_{index:02d}.pdf" for index in range(count)]
    for index, path in enumerate(paths):
        make_marked_pdf(path, index, 1)
    return [str(path) for path in paths]


def _run(
    where: Path, cluster: DaskCluster, server: ChatServer, *limits: str
) -> subprocess.CompletedProcess[str]:
    """`visionbatch run in --out out --dask ADDRESS` from ``where``: one page per request, so
    the server counts pages."""
    return subprocess.run(
        [sys.executable, "-m", "flows", "run", "in", "--out", "out", "--dask", cluster.address,
         "--base-url", server.base_url, "--model", "m", "--max-images", "1", "--quiet",
         *limits],
        cwd=where,
        env=cluster.environment(),
        capture_output=True,
        text=True,
        timeout=500,
    )  # fmt: skip


def _shards_per_worker(cluster: DaskCluster, before: dict[str, set[str]]) -> list[int]:
    """Shards each worker started since ``before``, in worker order."""
    after = cluster.shards_run()
    return [len(after[address] - before.get(address, set())) for address in sorted(after)]


def _rows_under_relative_out(where: Path, cluster: DaskCluster) -> list[tuple[str, int, str]]:
    """(source, page, status) of the rows in ``where``/out, where the run was, and none in the
    cluster's folder."""
    assert not (cluster.folder / "out").exists()
    rows = pl.read_parquet(str(where / "out" / "pages" / "*.parquet"))
    return rows.sort("source", "page").select("source", "page", "status").rows()


def _most_in_one_minute(starts: list[float]) -> int:
    """The most requests that arrived within any 60-second window: the fullest window can
    always be slid later until it opens at an arrival, so those are the windows counted."""
    ordered = sorted(starts)
    return max(
        sum(1 for other in ordered[index:] if other - start < MINUTE)
        for index, start in enumerate(ordered)
    )


def test_concurrency_is_the_whole_runs_across_two_workers(
    tmp_path: Path, dask_cluster: DaskCluster
) -> None:
    """16 pages in 2 shards of 8, one per worker, each page a request answered in a second:
    both workers hold requests at once, and yet at most 4 are in flight at the server."""
    sources = _documents(tmp_path / "in", 16)
    before = dask_cluster.shards_run()
    with ChatServer(latency=1.0) as server:
        done = _run(tmp_path, dask_cluster, server, "--concurrency", "4", "--shard-size", "8")
    assert done.returncode == 0, done.stderr[-3000:]
    assert _rows_under_relative_out(tmp_path, dask_cluster) == [(s, 1, "ok") for s in sources]
    assert _shards_per_worker(dask_cluster, before) == [1, 1]
    assert server.request_count == 16
    assert server.max_in_flight <= 4


def test_rpm_is_the_whole_runs_across_two_workers(
    tmp_path: Path, dask_cluster: DaskCluster
) -> None:
    """6 pages in 2 shards of 3, one per worker, at --rpm 4: no 60-second window at the server
    saw more than 4 requests (so the last two waited for the first minute to pass)."""
    sources = _documents(tmp_path / "in", 6)
    before = dask_cluster.shards_run()
    with ChatServer() as server:
        done = _run(tmp_path, dask_cluster, server, "--rpm", "4", "--shard-size", "3")
    assert done.returncode == 0, done.stderr[-3000:]
    assert _rows_under_relative_out(tmp_path, dask_cluster) == [(s, 1, "ok") for s in sources]
    assert _shards_per_worker(dask_cluster, before) == [1, 1]
    starts = [request.started_at for request in server.requests]
    assert len(starts) == 6
    assert _most_in_one_minute(starts) <= 4
