"""What the run-wide limits cost each request on Dask (`extractors/endpoint/shared_gate.py`).

Every attempt of a Dask run enters and leaves the run's one gate, hosted as an actor on one
worker. Measured on a LocalCluster of 2 worker processes (`--dask local --dask-workers 2`):

  * the cost of one attempt's enter + leave, one after another with nothing to wait for:
    the process's own gate (a run in one process), the shared gate from the worker hosting
    it, and from the other worker;
  * the limit kept under load: both workers start 32 attempts at once, each 100 ms on the
    wire, through a gate of 16 slots. Ideal: 64 x 0.1 s / 16 = 0.4 s; the ratio says how
    much of the endpoint's capacity the coordination leaves unused, and the peak in flight
    must be 16, not 32.

Run::

    .venv/bin/python benchmarks/run_limits.py
"""

import asyncio
import time

import common  # noqa: F401  (the repository on sys.path)
from distributed import Client, LocalCluster

from extractors.endpoint.gate import Gate, LocalGate, Outcome
from extractors.endpoint.shared_gate import GateCoordinator, RemoteGate
from extractors.options import RateLimits

SEQUENTIAL = 400
CONCURRENT = 32
WIRE_SECONDS = 0.1
SLOTS = 16


async def _attempts(gate: Gate, count: int, wire: float) -> None:
    async def one() -> None:
        admitted = await gate.enter(1000)
        await asyncio.sleep(wire)
        await gate.leave(admitted, Outcome(sent=True, used_tokens=1000))

    await asyncio.gather(*(one() for _ in range(count)))


async def _sequential(gate: Gate, count: int) -> float:
    """Seconds per attempt, one after another."""
    started = time.perf_counter()
    for _ in range(count):
        await _attempts(gate, 1, 0.0)
    return (time.perf_counter() - started) / count


def sequential_on_worker(coordinator: object) -> float:
    return asyncio.run(_sequential(RemoteGate(coordinator), SEQUENTIAL))  # type: ignore[arg-type]


def concurrent_on_worker(coordinator: object) -> float:
    async def timed() -> float:
        started = time.perf_counter()
        await _attempts(RemoteGate(coordinator), CONCURRENT, WIRE_SECONDS)  # type: ignore[arg-type]
        return time.perf_counter() - started

    return asyncio.run(timed())


def main() -> None:
    limits = RateLimits(requests_per_minute=1_000_000, tokens_per_minute=10**9)
    local = asyncio.run(_sequential(LocalGate(SLOTS, limits), SEQUENTIAL * 5))
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        hosted = client.submit(GateCoordinator, SLOTS, limits, 180.0, actor=True)
        coordinator = hosted.result()
        host = client.who_has(hosted)[hosted.key][0]
        other = next(w for w in client.scheduler_info()["workers"] if w != host)
        costs = {
            where: client.submit(sequential_on_worker, coordinator, workers=[w], pure=False)
            for where, w in (("host", host), ("other", other))
        }
        same, across = costs["host"].result(), costs["other"].result()
        coordinator = client.submit(GateCoordinator, SLOTS, limits, 180.0, actor=True).result()
        runs = [
            client.submit(concurrent_on_worker, coordinator, workers=[w], pure=False)
            for w in (host, other)
        ]
        wall = max(run.result() for run in runs)
        peak = coordinator.report().result().concurrency.peak
    ideal = 2 * CONCURRENT * WIRE_SECONDS / SLOTS
    print("enter + leave, per attempt, one after another:")
    print(f"  the process's own gate:                 {local * 1e3:7.3f} ms")
    print(f"  shared gate, from the worker hosting it: {same * 1e3:7.3f} ms")
    print(f"  shared gate, from the other worker:      {across * 1e3:7.3f} ms")
    print(f"  against a 500 ms answer: {across / 0.5:.2%} of the request's time")
    print(
        f"2 workers x {CONCURRENT} attempts of {WIRE_SECONDS * 1e3:.0f} ms through {SLOTS} slots:"
        f" {wall:.3f} s against an ideal {ideal:.3f} s (efficiency {ideal / wall:.2f}),"
        f" peak in flight {peak}"
    )


if __name__ == "__main__":
    main()
