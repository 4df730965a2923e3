"""How fast the render workers deliver pages when they are the bottleneck.

Measured here, where pages come back, and read by the planner to size requests.
"""

from dataclasses import dataclass

# Weight of the newest measurement in the running averages.
_NEWEST = 0.2


def averaged(average: float | None, value: float) -> float:
    """A running average that follows the newest measurements."""
    return value if average is None else (1 - _NEWEST) * average + _NEWEST * value


@dataclass
class DrawRate:
    """Pages a second the render workers deliver while they have more work than they can do:
    what drawing can keep up with on this machine, beside everything else that runs on it
    (a worker's own time per page says twice as much on 2 busy cores: measured)."""

    seconds_between: float | None = None
    _last: float | None = None

    @property
    def pages_per_second(self) -> float | None:
        return 1 / self.seconds_between if self.seconds_between else None

    def page_drawn(self, now: float, backlog: bool) -> None:
        """A page came back at `now`; `backlog`: calls were waiting for a worker meanwhile."""
        if backlog and self._last is not None:
            self.seconds_between = averaged(self.seconds_between, now - self._last)
        self._last = now
