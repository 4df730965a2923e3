"""What an attempt passes before it goes on the wire: an in-flight slot of the adaptive limit,
its places in the `--rpm` / `--tpm` windows, and the end of any run-wide hold.

`LocalGate` keeps them in this process. A run on Dask shares one `LocalGate` between all its
workers (`extractors/endpoint/shared_gate.py`), so the same `Gate` contract holds run-wide.
"""

from dataclasses import dataclass
from typing import Protocol

from extractors.endpoint.concurrency import AdaptiveConcurrency, ConcurrencyReport
from extractors.endpoint.rate_window import RateWindow, WindowEntry
from extractors.endpoint.run_hold import RunHold
from extractors.options import RateLimits


@dataclass(frozen=True)
class Admission:
    """One attempt let through: the limit's generation it started in and its window places."""

    generation: int
    request_entry: WindowEntry | None = None
    token_entry: WindowEntry | None = None
    lease: int = 0  # its number at a shared gate

    @property
    def entries(self) -> tuple[WindowEntry, ...]:
        """The window places the HTTP client stamps as the request is written."""
        return tuple(e for e in (self.request_entry, self.token_entry) if e is not None)


@dataclass(frozen=True)
class Outcome:
    """How an admitted attempt ended, as the gate needs to know it."""

    sent: bool  # False: it never went on the wire (its window places are given back)
    # Whether it says anything about the in-flight limit: an answer or a 429 does, a failed
    # connection does not.
    judged: bool = True
    throttled: bool = False
    used_tokens: int | None = None  # what it really cost, when the answer said so
    hold_seconds: float | None = None  # a 429 said the whole run waits this long


@dataclass(frozen=True)
class LimitsReport:
    """How the limits behaved over a run (for its summary)."""

    concurrency: ConcurrencyReport
    rate_wait_seconds: float
    holds: int


class Gate(Protocol):
    """Admits attempts within the run's limits; told how each ended."""

    @property
    def limit(self) -> int:
        """The in-flight limit as last known (the request pacing reads it)."""
        ...

    async def enter(self, estimated_tokens: int) -> Admission: ...

    async def leave(self, admitted: Admission, outcome: Outcome) -> None: ...

    async def report(self) -> LimitsReport: ...


class LocalGate:
    """The limits of one process: a request waits for a slot, then its window room, then any
    hold, and holds its slot until it is answered."""

    def __init__(self, requests: int, rates: RateLimits) -> None:
        self.concurrency = AdaptiveConcurrency(requests)
        self.request_window = _window(rates.requests_per_minute, rates.window_seconds)
        self.token_window = _window(rates.tokens_per_minute, rates.window_seconds)
        self.hold = RunHold()

    @property
    def limit(self) -> int:
        return self.concurrency.limit

    async def enter(self, estimated_tokens: int) -> Admission:
        generation = await self.concurrency.acquire()
        try:
            by_count = await self.request_window.take(1) if self.request_window else None
            by_tokens = (
                await self.token_window.take(estimated_tokens) if self.token_window else None
            )
            await self.hold.wait()
        except BaseException:
            await self.concurrency.release()
            raise
        return Admission(generation, by_count, by_tokens)

    async def leave(self, admitted: Admission, outcome: Outcome) -> None:
        await self.concurrency.release()
        if not outcome.sent:
            self._give_back(admitted)
            return
        if outcome.judged:
            await self.concurrency.record(admitted.generation, throttled=outcome.throttled)
        if admitted.token_entry is not None and outcome.used_tokens is not None:
            RateWindow.settle(admitted.token_entry, outcome.used_tokens)
        if outcome.hold_seconds is not None:
            self.hold.hold(outcome.hold_seconds)

    async def report(self) -> LimitsReport:
        return self.current_report()

    def current_report(self) -> LimitsReport:
        windows = (self.request_window, self.token_window)
        waited = sum(window.waited_seconds for window in windows if window is not None)
        return LimitsReport(self.concurrency.report, waited, self.hold.holds)

    def _give_back(self, admitted: Admission) -> None:
        if self.request_window is not None and admitted.request_entry is not None:
            self.request_window.give_back(admitted.request_entry)
        if self.token_window is not None and admitted.token_entry is not None:
            self.token_window.give_back(admitted.token_entry)


def _window(limit: int | None, seconds: float) -> RateWindow | None:
    return RateWindow(limit, seconds) if limit else None
