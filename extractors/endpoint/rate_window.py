"""A sliding window that keeps requests or tokens per minute under a limit, where they arrive.

An entry's time is the moment its request is handed to the connection, not the moment it was
admitted: building a large request (or a busy CPU) can take longer for one than for the next,
and a provider counts requests as they reach it. Until it is written, an admitted request
holds its place as if it were being written now.
"""

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# Seconds between looks while the only way to free room is an admitted request being written.
_PENDING_POLL = 0.005


class WindowEntry:
    """One admitted request's share of a window: its units, and when it was written."""

    __slots__ = ("units", "written_at")

    def __init__(self, units: float) -> None:
        self.units = units
        self.written_at: float | None = None

    def stamp(self) -> None:
        """The request is being written now (once: a later call keeps the first time)."""
        if self.written_at is None:
            self.written_at = time.monotonic()


# The entries of the attempt the current task is making; the HTTP client stamps them.
_ATTEMPT_ENTRIES: ContextVar[tuple[WindowEntry, ...]] = ContextVar("rate_entries", default=())


@contextmanager
def attempt_entries(entries: tuple[WindowEntry, ...]) -> Iterator[None]:
    """Entries that the attempt made inside this block stamps as its request is written; an
    attempt that fails before writing counts as written when it ends."""
    token = _ATTEMPT_ENTRIES.set(entries)
    try:
        yield
    finally:
        _ATTEMPT_ENTRIES.reset(token)
        for entry in entries:
            entry.stamp()


def stamp_attempt() -> None:
    """Called by the HTTP client as the current task's request goes to the connection."""
    for entry in _ATTEMPT_ENTRIES.get():
        entry.stamp()


class RateWindow:
    """At most `limit` units (requests or tokens) in any 60-second window.

    A sliding log rather than aiolimiter's leaky bucket: a bucket admits a full bucket at once
    and then drains, which lets up to twice the limit through in the first minute, and providers
    count per minute.
    """

    def __init__(self, limit: int, window_seconds: float = 60.0) -> None:
        self.limit = limit
        self.window = window_seconds
        self.waited_seconds = 0.0
        self.waits = 0  # takes that had to wait for room
        self._log: list[WindowEntry] = []
        self._lock = asyncio.Lock()

    async def take(self, units: int) -> WindowEntry:
        """Wait until `units` more fit the window; returns the entry to stamp and settle."""
        units = min(units, self.limit)  # a single request larger than the limit still goes alone
        async with self._lock:  # first come, first served
            started = time.monotonic()
            waited = False
            while (pause := self._wait_for(units)) > 0:
                waited = True
                await asyncio.sleep(pause)
            if waited:
                self.waits += 1
                self.waited_seconds += time.monotonic() - started
            entry = WindowEntry(float(units))
            self._log.append(entry)
            return entry

    @staticmethod
    def settle(entry: WindowEntry, units: int) -> None:
        """Replace an entry's estimate with what the request really cost."""
        entry.units = float(units)

    def give_back(self, entry: WindowEntry) -> None:
        """Take out the entry of an attempt that never went on the wire."""
        if entry in self._log:
            self._log.remove(entry)

    def _wait_for(self, units: int) -> float:
        """0 when `units` fit now, else how long to sleep before looking again."""
        now = time.monotonic()
        self._log = [
            e for e in self._log if e.written_at is None or e.written_at > now - self.window
        ]
        excess = sum(e.units for e in self._log) + units - self.limit
        if excess <= 0:
            return 0.0
        # The oldest written entries leave first; one not yet written leaves a window later.
        for entry in sorted(self._log, key=_written_or_last):
            if entry.written_at is None:
                return _PENDING_POLL
            excess -= entry.units
            if excess <= 0:
                return max(0.001, entry.written_at + self.window - now)
        return _PENDING_POLL


def _written_or_last(entry: WindowEntry) -> float:
    return entry.written_at if entry.written_at is not None else float("inf")
