"""Requests in flight: lowered by sustained 429s, raised again as they pass."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass
class ConcurrencyReport:
    """How the in-flight limit moved during a run (for the summary)."""

    start: int
    lowest: int
    end: int
    lowered: int = 0
    raised: int = 0
    peak: int = 0  # most slots held at once


class AdaptiveConcurrency:
    """A semaphore whose size follows the endpoint: halved on sustained 429s, +1 when calm.

    Outcomes are counted per generation (the attempts started since the limit last changed), so
    that one burst of 429s, answered to requests that all started under the old limit, lowers it
    once rather than down to 1. Sustained means at least 3 throttled answers making up a quarter
    of a generation's outcomes, once it has enough of them (`limit`, at most 8) to judge.
    Calm means 2 x `limit` answers with under half that share throttled: an endpoint that
    throttles a steady tenth of requests whatever the load is not worth going slower for.
    """

    _MIN_THROTTLED = 3
    _THROTTLED_SHARE = 0.25
    _MIN_OUTCOMES = 8

    def __init__(self, ceiling: int) -> None:
        self.ceiling = ceiling
        self.limit = ceiling
        self.report = ConcurrencyReport(start=ceiling, lowest=ceiling, end=ceiling)
        self._active = 0
        self._generation = 0
        self._throttled = 0
        self._answered = 0
        self._changed = asyncio.Condition()

    @property
    def generation(self) -> int:
        """How many times the limit has changed: attempts are judged against their own."""
        return self._generation

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[int]:
        """Hold one in-flight slot; yields the generation the attempt starts in."""
        generation = await self.acquire()
        try:
            yield generation
        finally:
            await self.release()

    async def acquire(self) -> int:
        """Take one in-flight slot (give it back with `release`); returns its generation."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._active < self.limit)
            self._active += 1
            self.report.peak = max(self.report.peak, self._active)
        return self._generation

    async def release(self) -> None:
        async with self._changed:
            self._active -= 1
            self._changed.notify()

    async def record(self, generation: int, *, throttled: bool) -> None:
        """Count one attempt's outcome; lower or raise the limit when the evidence says so."""
        if generation != self._generation:
            return  # started under an older limit: says nothing about the current one
        if throttled:
            self._throttled += 1
        else:
            self._answered += 1
        outcomes = self._throttled + self._answered
        share = self._throttled / outcomes
        if (
            self._throttled >= self._MIN_THROTTLED
            and outcomes >= min(self.limit, self._MIN_OUTCOMES)
            and share >= self._THROTTLED_SHARE
            and self.limit > 1
        ):
            self._change(max(1, self.limit // 2))
            self.report.lowered += 1
        elif (
            self._answered >= 2 * self.limit
            and share < self._THROTTLED_SHARE / 2
            and self.limit < self.ceiling
        ):
            self._change(self.limit + 1)
            self.report.raised += 1
            async with self._changed:
                self._changed.notify_all()

    def _change(self, limit: int) -> None:
        self.limit = limit
        self.report.lowest = min(self.report.lowest, limit)
        self.report.end = limit
        self._generation += 1
        self._throttled = self._answered = 0
