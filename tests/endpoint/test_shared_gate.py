"""The run's limits shared by Dask workers: one gate, however many workers send through it."""

import asyncio
import time
from collections.abc import Iterator

import pytest
from distributed import Client, LocalCluster

from extractors.endpoint.gate import Outcome
from extractors.endpoint.shared_gate import GateCoordinator, RemoteGate
from extractors.options import RateLimits


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """Two worker processes, as `--dask local --dask-workers 2` starts them."""
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as connected,
    ):
        yield connected


def attempts_on_a_worker(
    coordinator: object, attempts: int, seconds: float, throttled: bool
) -> list[float]:
    """`attempts` at once through the shared gate, each `seconds` on the wire; the times
    they were let through."""

    async def one(gate: RemoteGate) -> float:
        admitted = await gate.enter(100)
        admitted_at = time.time()
        await asyncio.sleep(seconds)
        await gate.leave(admitted, Outcome(sent=True, throttled=throttled))
        return admitted_at

    async def all_of_them() -> list[float]:
        gate = RemoteGate(coordinator)  # type: ignore[arg-type]
        return list(await asyncio.gather(*(one(gate) for _ in range(attempts))))

    return asyncio.run(all_of_them())


def test_two_workers_never_hold_more_slots_than_the_run_allows(client: Client) -> None:
    hosted = client.submit(GateCoordinator, 3, RateLimits(), 60.0, actor=True)
    coordinator = hosted.result()
    workers = list(client.scheduler_info()["workers"])
    runs = [
        client.submit(attempts_on_a_worker, coordinator, 8, 0.05, False, workers=[w], pure=False)
        for w in workers
    ]
    admitted = [len(run.result()) for run in runs]
    report = coordinator.report().result()
    assert admitted == [8, 8]
    assert report.concurrency.peak == 3  # each worker alone asked for 8 at once


def test_429s_on_two_workers_lower_the_one_limit(client: Client) -> None:
    hosted = client.submit(GateCoordinator, 8, RateLimits(), 60.0, actor=True)
    coordinator = hosted.result()
    workers = list(client.scheduler_info()["workers"])
    runs = [
        client.submit(attempts_on_a_worker, coordinator, 8, 0.01, True, workers=[w], pure=False)
        for w in workers
    ]
    [run.result() for run in runs]
    report = coordinator.report().result()
    assert report.concurrency.lowered >= 1 and report.concurrency.end < 8


def test_requests_per_window_hold_across_workers(client: Client) -> None:
    rates = RateLimits(requests_per_minute=4, window_seconds=1.0)
    hosted = client.submit(GateCoordinator, 16, rates, 60.0, actor=True)
    coordinator = hosted.result()
    workers = list(client.scheduler_info()["workers"])
    runs = [
        client.submit(attempts_on_a_worker, coordinator, 5, 0.0, False, workers=[w], pure=False)
        for w in workers
    ]
    times = sorted(t for run in runs for t in run.result())
    assert len(times) == 10
    # Any 5 consecutive admissions span a window (less the time an answer takes to reach its
    # worker): never 5 in one second. Each worker alone would have let its 5 through at once.
    spans = [later - first for first, later in zip(times, times[4:], strict=False)]
    assert min(spans) >= 0.8
