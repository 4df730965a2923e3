"""One run's limits shared by all its Dask workers: `--concurrency`, `--rpm` and `--tpm` hold
at the endpoint however many workers send, and 429s lower the in-flight limit run-wide.

A provider's limits are per account: each worker keeping its own full limits multiplied them
by the number of workers. Here one `LocalGate` (the single-process logic, unchanged) lives in a
Dask actor on one worker, and every attempt of every worker enters and leaves it by lease:
two calls to that worker's event loop per attempt (costs in `benchmarks/run_limits.py`).

Dask's `distributed.Semaphore` was not enough: it has no rate windows and its size is fixed,
so 429s could not lower it. Prefect's global concurrency limits live in the Prefect server,
which a run must be able to lose without failing (issue 25).
"""

import asyncio
import concurrent.futures
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from extractors.endpoint.gate import Admission, LimitsReport, LocalGate, Outcome
from extractors.endpoint.rate_window import WindowEntry
from extractors.errors import RunAbortedError
from extractors.options import RateLimits

if TYPE_CHECKING:
    from distributed import Actor


class GateCoordinator:
    """The run's one gate, hosted as a Dask actor; attempts hold it by numbered lease.

    A lease not given back within `lease_seconds` (longer than any attempt may last) belonged
    to a worker that died mid-attempt: it is taken back, so a lost worker cannot shrink the
    run's in-flight limit for good.
    """

    def __init__(self, requests: int, rates: RateLimits, lease_seconds: float) -> None:
        self._gate = LocalGate(requests, rates)
        self._lease_seconds = lease_seconds
        self._leases: dict[int, tuple[Admission, float]] = {}
        self._numbers = itertools.count(1)

    async def enter(self, estimated_tokens: int) -> tuple[int, int, int]:
        """An attempt admitted: (its lease, its generation, the in-flight limit now)."""
        await self._take_back_expired()
        admitted = await self._gate.enter(estimated_tokens)
        lease = next(self._numbers)
        self._leases[lease] = (admitted, time.monotonic() + self._lease_seconds)
        return lease, admitted.generation, self._gate.limit

    def written(self, lease: int) -> None:
        """The attempt's request is being written: its window places count from now (a
        moment after the worker wrote it: the provider never sees more than the limit)."""
        held = self._leases.get(lease)
        for entry in held[0].entries if held is not None else ():
            entry.stamp()

    async def leave(self, lease: int, outcome: Outcome) -> int:
        """The attempt of `lease` ended; returns the in-flight limit now."""
        held = self._leases.pop(lease, None)
        if held is not None:  # else taken back already, as expired
            for entry in held[0].entries:
                entry.stamp()  # one never written (or its message not yet here) counts now
            await self._gate.leave(held[0], outcome)
        return self._gate.limit

    def report(self) -> LimitsReport:
        return self._gate.current_report()

    async def _take_back_expired(self) -> None:
        now = time.monotonic()
        expired = [lease for lease, (_, until) in self._leases.items() if until < now]
        for lease in expired:
            await self.leave(lease, Outcome(sent=True, judged=False))


class RemoteGate:
    """A worker's (or the flow's) handle on the run's `GateCoordinator`.

    The actor's calls are awaited on the Dask worker's (or client's) own event loop, which is
    not the loop this session runs on: each call is handed to that loop and its result awaited
    here, so no thread is blocked while an attempt waits for a slot.
    """

    def __init__(self, coordinator: "Actor") -> None:
        self._coordinator = coordinator
        self._loop = _dask_loop()
        self._limit = 1
        # Messages sent without waiting for their answer, until they have gone.
        self._sent: set[concurrent.futures.Future[None]] = set()

    @property
    def limit(self) -> int:
        return self._limit

    async def enter(self, estimated_tokens: int) -> Admission:
        lease, generation, self._limit = await self._call(self._coordinator.enter, estimated_tokens)
        return Admission(generation, request_entry=_WrittenSignal(self, lease), lease=lease)

    def written(self, lease: int) -> None:
        """Tell the coordinator, without waiting for it, that a request is being written."""
        sent = asyncio.run_coroutine_threadsafe(self._written(lease), self._loop)
        self._sent.add(sent)
        sent.add_done_callback(self._sent.discard)

    async def _written(self, lease: int) -> None:
        await self._coordinator.written(lease)

    async def leave(self, admitted: Admission, outcome: Outcome) -> None:
        self._limit = await self._call(self._coordinator.leave, admitted.lease, outcome)

    async def report(self) -> LimitsReport:
        report: LimitsReport = await self._call(self._coordinator.report)
        return report

    async def _call(self, method: Callable[..., Awaitable[Any]], *args: object) -> Any:
        async def on_dask_loop() -> Any:
            return await method(*args)

        done = asyncio.run_coroutine_threadsafe(on_dask_loop(), self._loop)
        try:
            return await asyncio.wrap_future(done)
        except OSError as exc:  # Dask: "Unable to contact Actor's worker"
            raise RunAbortedError(
                f"the run's shared limits were lost with the Dask worker holding them: {exc}"
            ) from exc


class _WrittenSignal(WindowEntry):
    """Stands for an attempt's window places on the worker: the HTTP client stamps it as the
    request goes on the wire, which tells the coordinator holding the places."""

    __slots__ = ("_gate", "_lease")

    def __init__(self, gate: RemoteGate, lease: int) -> None:
        super().__init__(0.0)
        self._gate, self._lease = gate, lease

    def stamp(self) -> None:
        if self.written_at is None:
            super().stamp()
            self._gate.written(self._lease)


def _dask_loop() -> asyncio.AbstractEventLoop:
    """The event loop of this process's Dask worker, or of its Dask client."""
    from distributed import get_client, get_worker
    from tornado.platform.asyncio import BaseAsyncIOLoop

    try:
        io_loop: object = get_worker().loop
    except ValueError:
        io_loop = get_client().loop
    # Dask's loops are Tornado's asyncio loops, each over an asyncio event loop.
    return cast(BaseAsyncIOLoop, io_loop).asyncio_loop
