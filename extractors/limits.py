"""What the endpoint allows, respected and learned during a run.

- `AdaptiveConcurrency`: requests in flight, lowered on sustained 429s and raised again slowly.
- `RateWindow`: `--rpm` / `--tpm`, never more than the limit in any 60-second window.
- `LearnedLimits` and `classify_refusal`: images per request and context length, learned from
  the endpoint's refusals so that the rest of the run stops asking for what it cannot have.
"""

import asyncio
import re
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Literal

from extractors.budget import BudgetOptions, ChunkPlan


@dataclass
class ConcurrencyReport:
    """How the in-flight limit moved during a run (for the summary)."""

    start: int
    lowest: int
    end: int
    lowered: int = 0
    raised: int = 0


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
        async with self._changed:
            await self._changed.wait_for(lambda: self._active < self.limit)
            self._active += 1
        try:
            yield self._generation
        finally:
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
        self._log: deque[list[float]] = deque()  # [sent_at, units], oldest first
        self._lock = asyncio.Lock()

    async def take(self, units: int) -> list[float]:
        """Wait until `units` more fit the window; returns the entry to `settle` later."""
        units = min(units, self.limit)  # a single request larger than the limit still goes alone
        async with self._lock:  # first come, first served
            started = time.monotonic()
            waited = False
            while True:
                now = time.monotonic()
                while self._log and self._log[0][0] <= now - self.window:
                    self._log.popleft()
                used = sum(entry[1] for entry in self._log)
                if used + units <= self.limit:
                    break
                # Wait until enough of the oldest entries leave the window.
                freed, wake_at = used + units - self.limit, now
                for sent_at, amount in self._log:
                    freed -= amount
                    wake_at = sent_at + self.window
                    if freed <= 0:
                        break
                waited = True
                await asyncio.sleep(max(0.001, wake_at - now))
            if waited:
                self.waits += 1
                self.waited_seconds += time.monotonic() - started
            entry = [time.monotonic(), float(units)]
            self._log.append(entry)
            return entry

    @staticmethod
    def settle(entry: list[float], units: int) -> None:
        """Replace an entry's estimate with what the request really cost."""
        entry[1] = float(units)


RefusalKind = Literal["too_many_images", "context_length", "other"]

# Wordings that state the limit, tried in order, then wordings that only name the problem.
_IMAGE_LIMIT_STATED = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"at most (\d+) images?",
        r"(?:maximum|max|limit|up to)\D{0,40}?(\d+) images?",
        r"images?\D{0,40}?(?:maximum|max|limit)\D{0,10}?(?:is|of) (\d+)",
        r"(\d+) images? (?:is|are) (?:allowed|the maximum)",
    )
]
_IMAGE_LIMIT_NAMED = re.compile(
    r"too many images|images? per (?:request|prompt|message)"
    r"|(?:maximum|max|limit)\D{0,30}images?|images?\D{0,30}(?:limit|maximum|exceed)",
    re.IGNORECASE,
)
_CONTEXT = re.compile(
    r"context length|context window|max_model_len|maximum context|prompt is too long"
    r"|too many (?:input )?tokens|exceeds? the model",
    re.IGNORECASE,
)
_CONTEXT_LIMIT = re.compile(
    r"(?:maximum context length|max_model_len|context (?:length|window))\D{0,20}(\d{3,})",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Refusal:
    """What a 4xx refusal says about the endpoint's limits."""

    kind: RefusalKind
    limit: int | None = None


def classify_refusal(status: int, message: str) -> Refusal:
    """Too many images (400 wordings, or 413), context exceeded, or something else."""
    if _CONTEXT.search(message):
        found = _CONTEXT_LIMIT.search(message)
        return Refusal("context_length", int(found.group(1)) if found else None)
    for pattern in _IMAGE_LIMIT_STATED:
        if stated := pattern.search(message):
            return Refusal("too_many_images", int(stated.group(1)))
    if _IMAGE_LIMIT_NAMED.search(message):
        return Refusal("too_many_images")
    if status == 413:  # Scaleway Managed Inference answers a 13th image with a bare 413
        return Refusal("too_many_images")
    return Refusal("other")


class LearnedLimits:
    """The configured budget, narrowed by limits the endpoint revealed by refusing requests.

    Lessons hold for the rest of the run, and only ever narrow: a looser one is ignored.
    """

    def __init__(self, configured: BudgetOptions) -> None:
        self.configured = configured
        self.max_images: int | None = None
        self.context_tokens: int | None = None
        self.lessons: list[str] = []

    @property
    def budget(self) -> BudgetOptions:
        configured = self.configured
        return replace(
            configured,
            max_images=min(configured.max_images, self.max_images or configured.max_images),
            context_tokens=min(
                configured.context_tokens, self.context_tokens or configured.context_tokens
            ),
        )

    def admits(self, plan: ChunkPlan) -> bool:
        """Whether a chunk planned earlier still fits what the endpoint is known to take."""
        budget = self.budget
        return (
            len(plan.pages) <= budget.images_per_request
            and plan.image_tokens <= budget.image_budget
        )

    def learn_images(self, refused: int, limit: int | None) -> int:
        """After `refused` images were too many: the most to send from now on."""
        allowed = limit if limit is not None and limit < refused else max(1, refused // 2)
        if self.max_images is None or allowed < self.max_images:
            self.max_images = allowed
            self.lessons.append(f"images per request lowered to {allowed}")
        return self.max_images

    def learn_context(self, limit: int) -> None:
        if self.context_tokens is None or limit < self.context_tokens:
            self.context_tokens = limit
            self.lessons.append(f"context length learned: {limit} tokens")
