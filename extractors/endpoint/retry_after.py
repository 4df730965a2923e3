"""The wait an endpoint, or a gateway in front of it, asks for before the next attempt."""

import email.utils
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Tried in order; each pair is (milliseconds, seconds-or-date). LiteLLM's proxy passes the
# provider's Retry-After on as `llm_provider-retry-after`, and its own rate limit answers with it.
_WAIT_HEADERS = (
    ("retry-after-ms", "retry-after"),
    ("llm_provider-retry-after-ms", "llm_provider-retry-after"),
)
# OpenAI-style rate-limit resets, with the `remaining` header saying which limit ran out.
_RESET_HEADERS = (
    ("x-ratelimit-reset-requests", "x-ratelimit-remaining-requests"),
    ("x-ratelimit-reset-tokens", "x-ratelimit-remaining-tokens"),
)
# Go-style durations as OpenAI sends them: "1s", "6m0s", "20ms", "1h2m3.5s".
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


@dataclass(frozen=True)
class AskedWait:
    """A wait read from a response's headers, and whether it holds for every request.

    `run_wide`: the headers speak of a rate limit that every request counts against (a reset
    time, or a gateway's `llm_provider-retry-after`), not of this one request's bad luck.
    """

    seconds: float
    run_wide: bool


def asked_wait(headers: Any) -> AskedWait | None:
    """The wait a response asks for: `retry-after-ms` / `Retry-After`, then LiteLLM's
    `llm_provider-` forms of them, then the longest `x-ratelimit-reset-*` of a limit run out."""
    run_wide = _mentions_limit(headers)
    for milliseconds, seconds in _WAIT_HEADERS:
        wait = _wait_of(headers.get(milliseconds), headers.get(seconds))
        if wait is not None:
            return AskedWait(wait, run_wide)
    reset = _reset_wait(headers)
    return AskedWait(reset, True) if reset is not None else None


def retry_after_seconds(headers: Any) -> float | None:
    """The seconds of `asked_wait`, or None when no header asks for a wait."""
    asked = asked_wait(headers)
    return asked.seconds if asked is not None else None


def duration_seconds(value: str) -> float | None:
    """Seconds of a duration header: `6m0s`, `20ms`, `1.5s`, or a bare number of seconds."""
    text = value.strip().lower()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass  # not a bare number: a Go-style duration, or nothing readable
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def _mentions_limit(headers: Any) -> bool:
    names = ["llm_provider-retry-after", "llm_provider-retry-after-ms"]
    names += [reset for reset, _ in _RESET_HEADERS]
    return any(headers.get(name) for name in names)


def _wait_of(milliseconds: str | None, seconds: str | None) -> float | None:
    """The wait of a `-ms` header, else of a seconds-or-date one; None when neither reads."""
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass  # a malformed header: fall through to the seconds one
    if not seconds:
        return None
    try:
        return max(0.0, float(seconds))
    except ValueError:
        return _until_date(seconds)


def _until_date(value: str) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _reset_wait(headers: Any) -> float | None:
    """The longest reset among the limits that ran out (all of them when none says which)."""
    resets = []
    for reset, remaining in _RESET_HEADERS:
        value = headers.get(reset)
        seconds = duration_seconds(value) if value else None
        if seconds is not None:
            resets.append((seconds, headers.get(remaining)))
    exhausted = [seconds for seconds, left in resets if left is not None and _is_zero(left)]
    chosen = exhausted or [seconds for seconds, _ in resets]
    return max(chosen) if chosen else None


def _is_zero(value: str) -> bool:
    try:
        return float(value) <= 0
    except ValueError:
        return False
