"""What starts while Prefect starts: the render workers' fork server, and the SDK's import
unless DIR already holds rows (a rerun, most often a no-op that must stay quick)."""

import asyncio
import multiprocessing.forkserver
from pathlib import Path

import pytest

from extractors.load.rasteriser import Rasteriser
from extractors.load.worker_start import start_fork_server
from extractors.options import RasterOptions
from flows.options.parameters import RunRequest
from flows.orchestration import warm_start


def _parent_of(pid: int) -> int:
    # /proc/PID/stat: "pid (name) state ppid ...", the name in parentheses may hold spaces.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1])


def test_workers_fork_from_the_server_launched_ahead() -> None:
    start_fork_server()
    server = multiprocessing.forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
    assert server is not None
    rasteriser = Rasteriser(RasterOptions(workers=2))
    try:
        asyncio.run(rasteriser.wait_started())
        executor = rasteriser._executor
        workers = list(executor._processes.values())  # type: ignore[attr-defined]
        assert len(workers) == 2
        assert {_parent_of(worker.pid) for worker in workers} == {server}
    finally:
        rasteriser.close()


def test_a_rerun_into_a_dir_with_rows_skips_the_sdk_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[bool, bool]] = []
    monkeypatch.setattr(warm_start, "_warm_up", lambda *flags: started.append(flags))
    out = tmp_path / "out"
    first = RunRequest(inputs=[str(tmp_path)], out=str(out))
    warm_start.warm_up_in_background(first).join()  # DIR does not exist yet
    (out / "pages").mkdir(parents=True)
    warm_start.warm_up_in_background(first).join()  # a dataset folder, but no rows in it
    (out / "pages" / "part-run-00000-00001.parquet").write_bytes(b"PAR1")
    warm_start.warm_up_in_background(first).join()
    on_dask = RunRequest(inputs=[str(tmp_path)], out=str(tmp_path / "fresh"), dask="local")
    warm_start.warm_up_in_background(on_dask).join()  # Dask workers render: no fork server here
    assert started == [(True, True), (True, True), (True, False), (False, True)]
