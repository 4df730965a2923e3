"""Times of day in the lines: HH:MM[:SS], with AM/PM as OCR misreads it."""

import re

from extractors.offline.receipts.lines import letters

_MERIDIEM = r"(?:\s?(?P<meridiem>[AP])[MHK](?![A-Z]))?"  # PM misread as PH or PK


# A time anywhere: HH:MM[:SS], not inside a longer number ("N0:000123" is not 0:00).
_TIME = re.compile(
    r"(?<![\dA-Z/.-])(?P<hour>\d{1,2}):(?P<minute>\d{2})(?!\d)(?::(?P<second>\d{2})(?!\d))?"
    + _MERIDIEM
)


# Right after a date, or on a line labelled as a time, a dot also separates ("07.55:31").
_NEAR_TIME = re.compile(
    r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<second>\d{2}))?" + _MERIDIEM
)


_AFTER_DATE = re.compile(r"\s{0,3}[-@#,]?\s?" + _NEAR_TIME.pattern)


def time_after_date(after: str) -> str | None:
    """The time printed right after a date: "8:13:39PM" left from "20188:13:39PM"."""
    match = _AFTER_DATE.match(after)
    return clock(match) if match else None


def time_in(lines: list[str]) -> str | None:
    """A time on a line labelled as a time first, else the first HH:MM in the lines."""
    labelled = [line for line in lines if re.search(r"T[I1L]ME", letters(line))]
    for pattern, candidates in ((_NEAR_TIME, labelled), (_TIME, lines)):
        for line in candidates:
            for match in pattern.finditer(line.upper()):
                found = clock(match)
                if found:
                    return found
    return None


def clock(match: re.Match[str]) -> str | None:
    """A matched time as 24-hour "HH:MM[:SS]", or None when it is not a time of day."""
    h, m, second = int(match["hour"]), int(match["minute"]), match["second"]
    if match["meridiem"] == "P" and h < 12:
        h += 12
    elif match["meridiem"] == "A" and h == 12:
        h = 0
    if h > 23 or m > 59 or (second is not None and int(second) > 59):
        return None
    return f"{h:02d}:{m:02d}" + ("" if second is None else f":{second}")
