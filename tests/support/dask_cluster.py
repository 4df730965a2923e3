"""A real Dask cluster for tests: `dask scheduler` and two `dask worker` processes, started in
a folder of their own (not the run's), as a user's cluster would be, with the Prefect server
that the cluster and the runs sent to it report to.

Tests take the session-scoped fixture `dask_cluster` (a plugin of tests/conftest.py): one
cluster for the suite, started by the first test that needs it (~40 s on a busy machine)::

    def test_x(dask_cluster: DaskCluster) -> None: ...

Why a Prefect server of its own: without PREFECT_API_URL (the suite runs with Prefect's
temporary server per run), each worker's first shard also loaded Prefect's server side
(fastapi, sqlite... 1,118 modules more; about a minute on a busy 2-core machine), and every
run starts a temporary server; one `prefect server start` (API only) for the module costs
less than either.
"""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from distributed import Client
from environment import without_endpoint_settings
from repo_paths import REPO, with_test_imports

WORKERS = 2
PRELOAD = Path(__file__).with_name("dask_preload.py")
_BIN = Path(sys.executable).parent

Process = subprocess.Popen[bytes]


@dataclass(frozen=True)
class DaskCluster:
    """A running cluster: its scheduler's address, the folder its processes started in, and
    the Prefect API they report to."""

    address: str
    folder: Path
    prefect_api_url: str

    def environment(self) -> dict[str, str]:
        """The environment of a command sent to this cluster: no endpoint settings, the
        repository importable, the cluster's Prefect API."""
        return {**_base_environment(), "PREFECT_API_URL": self.prefect_api_url}

    def shards_run(self) -> dict[str, set[str]]:
        """The shard tasks each worker has started, by worker address (its recent history)."""
        with Client(self.address, timeout=60) as client:
            keys: dict[str, set[str]] = client.run(_shards_run_here)
        return keys


def _base_environment() -> dict[str, str]:
    return {**without_endpoint_settings(), "PYTHONPATH": str(REPO)}


# The Dask key of a shard task starts with the name of the function Prefect submits (a
# coordinator of the run's limits may run on a worker too: it is not a shard).
SHARD_TASK = "extract_shard_on_worker-"


def _shards_run_here(dask_worker: object) -> set[str]:
    """Keys of the shard tasks this worker has started executing, from its transition log:
    (key, from state, to state, ...) entries among others."""
    log = dask_worker.state.log  # type: ignore[attr-defined]
    return {
        entry[0]
        for entry in log
        if len(entry) > 2 and entry[2] == "executing" and str(entry[0]).startswith(SHARD_TASK)
    }


def _start(command: list[str], folder: Path, env: dict[str, str]) -> Process:
    return subprocess.Popen(
        command, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _stop(processes: list[Process]) -> None:
    """SIGTERM to all at once (each takes seconds to close), then wait; SIGKILL a laggard."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=60)


def _wait_until(
    ready: Callable[[], bool], process: Process, what: str, seconds: float = 300
) -> None:
    """Poll ``ready()`` until true; RuntimeError when ``process`` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start (exit {process.returncode})")
        time.sleep(0.2)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _prefect_server(port: int) -> list[str]:
    """`prefect server start` on this loopback port: the API only (no UI, no services)."""
    return [str(_BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port),
            "--no-ui", "--no-services", "--analytics-off"]  # fmt: skip


def _scheduler(scheduler_file: Path) -> list[str]:
    return [str(_BIN / "dask"), "scheduler", "--scheduler-file", str(scheduler_file),
            "--port", "0", "--dashboard-address", ":0", "--no-show"]  # fmt: skip


def _worker(scheduler_file: Path) -> list[str]:
    """One worker process of one thread, as `--dask local` makes them, preloaded."""
    return [str(_BIN / "dask"), "worker", "--scheduler-file", str(scheduler_file),
            "--nthreads", "1", "--dashboard-address", ":0", "--preload", str(PRELOAD)]  # fmt: skip


@contextmanager
def started_cluster(folder: Path, workers: int = WORKERS) -> Iterator[DaskCluster]:
    """A Prefect server, a scheduler and ``workers`` workers, each its own process started in
    ``folder``; ready once the server answers and every worker has registered (preloaded)."""
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    # The test helpers importable too: `DaskCluster.shards_run` sends one of them.
    env = with_test_imports({**_base_environment(), "PREFECT_API_URL": api_url})
    scheduler_file = folder / "scheduler.json"
    home = {**env, "PREFECT_HOME": str(folder / "prefect-home")}
    prefect = _start(_prefect_server(port), folder, home)
    processes = [prefect]
    try:
        scheduler = _start(_scheduler(scheduler_file), folder, env)
        processes.append(scheduler)
        processes += [_start(_worker(scheduler_file), folder, env) for _ in range(workers)]
        _wait_until(scheduler_file.exists, scheduler, "dask scheduler")
        address = json.loads(scheduler_file.read_text())["address"]
        with Client(address, timeout=120) as client:
            client.wait_for_workers(workers, timeout=300)
        _wait_until(lambda: _answers(f"{api_url}/health"), prefect, "prefect server")
        yield DaskCluster(address, folder, api_url)
    finally:
        _stop(processes)


@pytest.fixture(scope="session", name="dask_cluster")
def dask_cluster_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskCluster]:
    """One cluster for the suite's tests, started in a folder of its own."""
    with started_cluster(tmp_path_factory.mktemp("cluster-cwd")) as cluster:
        yield cluster
