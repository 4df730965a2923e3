"""A sliding window that keeps requests or tokens per minute under a limit."""

import asyncio
import time
from collections import deque


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
