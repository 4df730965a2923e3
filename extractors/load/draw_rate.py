"""How fast the render workers deliver pages when they are the bottleneck.

Measured here, where pages come back, and read by the planner to size requests.
"""

import statistics
from collections import deque
from dataclasses import dataclass, field

# Weight of the newest measurement in the running averages.
_NEWEST = 0.2


# Intervals between pages the draw rate is the median of: a few rounds of a busy run.
_INTERVALS = 31


def averaged(average: float | None, value: float) -> float:
    """A running average that follows the newest measurements."""
    return value if average is None else (1 - _NEWEST) * average + _NEWEST * value


@dataclass
class DrawRate:
    """Pages a second the render workers deliver while they have more work than they can do:
    what drawing can keep up with on this machine, beside everything else that runs on it
    (a worker's own time per page says twice as much on 2 busy cores: measured)."""

    _intervals: deque[float] = field(default_factory=lambda: deque(maxlen=_INTERVALS))
    _last: float | None = None
    _backlog_at_last: bool = False

    @property
    def seconds_between(self) -> float | None:
        """The median time between pages of the latest busy stretches."""
        return statistics.median(self._intervals) if self._intervals else None

    @property
    def pages_per_second(self) -> float | None:
        between = self.seconds_between
        return 1 / between if between else None

    def page_drawn(self, now: float, backlog: bool) -> None:
        """A page came back at `now`; `backlog`: calls are waiting for a worker.

        Only the time since a page that also came back with calls waiting counts: the
        workers were busy all along. After a lull (the run waiting on the endpoint) the
        first page's wait says nothing of how fast they draw. The median of the latest
        intervals, not their mean: requests are cut in bursts as a round of answers frees
        slots, and a running mean swung by one slow page then read 13 pages/s where the
        workers drew 340 (measured), sizing that whole round's requests at one page.
        """
        if backlog and self._backlog_at_last and self._last is not None:
            self._intervals.append(now - self._last)
        self._last, self._backlog_at_last = now, backlog
