"""How long a planned run would take online: request latency shared over `--concurrency`,
held back by `--rpm` and `--tpm`; for the embedded engine, its measured seconds per page."""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class TypicalLatency:
    """Seconds one request takes: a fixed part (upload, prefill, first token) and a part per
    page it carries (the page's answer being written)."""

    request_seconds: float
    page_seconds: float

    def total(self, requests: int, pages: int) -> float:
        return requests * self.request_seconds + pages * self.page_seconds


# Assumed, not measured here (no provider could be reached): about 500 answer tokens a text
# page at about 60 tokens a second, after 2 s to the first token. The presets carry no latency
# (`extractors/endpoint/providers.py` is not this module's), so every remote provider is planned
# with this figure until `--dry-run-latency` gives a measured one: a trial run's median
# `latency_ms` (`visionbatch report`) over its requests.
ASSUMED_LATENCY = TypicalLatency(request_seconds=2.0, page_seconds=8.0)

# The embedded engine (RapidOCR, one image at a time on every core), measured by
# `benchmarks/dry_run.py` on data/samples' receipts and PDF pages and six SROIE receipts, drawn
# as a run draws them: CPU seconds a page (all its threads), and wall seconds a page, on the
# shared 2-core machine under load (load average ~13).
ENGINE_CPU_SECONDS_PER_PAGE = 5.0
ENGINE_WALL_SECONDS_PER_PAGE = 11.3


@dataclass(frozen=True)
class OnlineTime:
    """The expected time online, and what each limit alone would make it."""

    seconds: float
    by_latency: float
    by_rpm: float
    by_tpm: float
    # Which of the three sets the pace: "latency", "rpm" or "tpm".
    bound_by: str


def online_time(
    request_seconds: float,
    requests: int,
    tokens: int,
    concurrency: int,
    rpm: int | None = None,
    tpm: int | None = None,
) -> OnlineTime:
    """The time of `requests` taking `request_seconds` in all, `concurrency` at once, at most
    `rpm` a minute and `tpm` tokens a minute (each request charged its prompt and answer room,
    as the rate limiter reserves them: an upper bound)."""
    by_latency = request_seconds / max(1, concurrency)
    by_rpm = 60.0 * requests / rpm if rpm else 0.0
    by_tpm = 60.0 * tokens / tpm if tpm else 0.0
    figures = {"latency": by_latency, "rpm": by_rpm, "tpm": by_tpm}
    bound = max(figures, key=lambda name: figures[name])
    return OnlineTime(figures[bound], by_latency, by_rpm, by_tpm, bound)


def engine_time(pages: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of the embedded engine reading `pages` pages."""
    return pages * ENGINE_CPU_SECONDS_PER_PAGE, pages * ENGINE_WALL_SECONDS_PER_PAGE


def shown_duration(seconds: float) -> str:
    """`2 h 05 min`, `12 min`, `40 s`: a duration as a person plans with it."""
    if seconds < 60:
        return f"{math.ceil(seconds)} s"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
