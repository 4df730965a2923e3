"""A pause of every new attempt, when a 429 says the rate limit it hit is the whole run's."""

import asyncio
import time

from extractors.errors import RetryLaterError


class RunHold:
    """No attempt goes on the wire before `until`: a gateway's (or provider's) own rate limit
    said when it resets, and every request sent before then would only be refused too."""

    def __init__(self) -> None:
        self.until = 0.0
        self.holds = 0  # 429s that held the run

    def hold(self, seconds: float) -> None:
        """Hold new attempts for `seconds` from now (a later end wins over an earlier one)."""
        self.holds += 1
        self.until = max(self.until, time.monotonic() + seconds)

    async def wait(self) -> None:
        """Return once the hold is over (at once when there is none)."""
        while (pause := self.until - time.monotonic()) > 0:
            await asyncio.sleep(pause)


def run_wide_wait(retry: RetryLaterError) -> float | None:
    """The wait of a throttled attempt whose headers said the limit is the run's, else None."""
    return retry.wait if retry.throttled and retry.run_wide else None
