"""How many pages a request should carry so that drawing pages keeps every request slot busy.

A request of k pages needs k pages drawn before it leaves. With C requests in flight, each
answered after L seconds, the endpoint takes C x k / L pages a second; the render workers
draw R. When R < C x k / L, slots wait for pages: the endpoint idles while the run is bound
by drawing (measured: 20 twelve-page documents at 500 ms and --concurrency 16 kept the endpoint
busy a third of the time). So k = R x L / (C x margin), between 1 and the most a request may
carry: on a slow endpoint (seconds per answer) that is the most, on a fast one fewer.
"""

import math
from dataclasses import dataclass

from extractors.load.draw_rate import averaged

# Drawing is kept this many times faster than the endpoint takes pages, so that a slot that
# frees finds its next chunk drawn despite the jitter of both.
_MARGIN = 2.0


@dataclass
class RequestPacing:
    """Pages per request from what the run measures as it goes (mutated on the event loop)."""

    workers: int
    seconds_per_page: float | None = None  # one worker's time to draw and encode a page
    latency: float | None = None  # seconds from a request's start to its answer

    def drawn(self, seconds: float) -> None:
        self.seconds_per_page = averaged(self.seconds_per_page, seconds)

    def answered(self, seconds: float) -> None:
        self.latency = averaged(self.latency, seconds)

    def pages_per_request(self, concurrency: int, most: int, draw_rate: float | None) -> int:
        """Pages the next request should carry; 1 until an answer has said how long one takes
        (the first requests leave as soon as one page is drawn). `draw_rate` is the workers'
        measured pages a second when busy; until they have been, their own times stand in."""
        if self.latency is None or not self.seconds_per_page:
            return 1
        rate = draw_rate or max(1, self.workers) / self.seconds_per_page
        pages = math.floor(rate * self.latency / (max(1, concurrency) * _MARGIN))
        return max(1, min(most, pages))
