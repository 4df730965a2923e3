"""Calendar dates in the lines, day first, and the purchase date with its time."""

import datetime as dt
import itertools
import re

from extractors.offline.receipts.lines import letters
from extractors.offline.receipts.times import time_after_date, time_in

# Receipts are from the years of electronic tills: earlier "dates" are part numbers misread.
PLAUSIBLE_YEARS = range(1990, 2070)


MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


_NUMERIC_DATE = re.compile(
    r"(?:(?<![\dA-Z])|(?<=DATE))(?P<day>\d{1,2})\s?(?P<sep>[/.-])\s?(?P<month>\d{1,2})\s?"
    r"(?P=sep)\s?(?P<year>\d{2,6})"
)


_NAMED_DATE = re.compile(
    r"(?:(?<![\dA-Z])|(?<=DATE))(?P<day>\d{1,2})\s?[/.-]?\s?(?P<month>[A-Z]{3,9})\s?[/.,-]?\s?"
    r"(?P<year>\d{2,6})(?![.,]\d)"  # not a quantity and price: "2 SET 10.00"
)


# The day may have its time glued on: "2025-06-0212:41".
_ISO_DATE = re.compile(
    r"(?<!\d)(?P<year>\d{4})(?P<sep>[/.-])(?P<month>\d{1,2})(?P=sep)"
    r"(?P<day>\d{2}(?=\d{1,2}:\d{2})|\d{1,2}(?!\d))"
)


# A compact ddmmyyyy right before a time, as receipt footers print it: "...17062019 09:05:44".
_COMPACT_DATE = re.compile(r"(?P<day>\d{2})(?P<month>\d{2})(?P<year>\d{4})\s(?=\d{1,2}:\d{2})")


def date_and_time(lines: list[str]) -> tuple[dt.date | None, str | None]:
    """The purchase date and its time: from a line labelled as a date first, and with month
    names read exactly before any read with a misread letter.

    A time glued to the year ("25/12/20188:13:39PM") is split off, its leftover digits
    starting the time; else the time is the one on the date's line, else the first anywhere.
    """
    labelled = [line for line in lines if re.search(r"D[A-Z]TE|DAT[A-Z]", letters(line))]
    for fuzzy, line in itertools.product((False, True), [*labelled, *lines]):
        found = date_in(line.upper(), fuzzy)
        if found:
            day, after = found
            return day, time_after_date(after) or time_in([line]) or time_in(lines)
    for line in lines:
        compact = _COMPACT_DATE.search(line)
        footer_day = compact and valid_date(compact["year"], compact["month"], compact["day"])
        if compact and footer_day:
            return footer_day, time_in([line[compact.end() :]])
    return None, time_in(lines)


def date_in(line: str, fuzzy: bool = True) -> tuple[dt.date, str] | None:
    """The first valid date on a line, and the text after it: digits glued to the year, then
    the rest of the line (where the time is usually printed)."""
    for pattern in (_NUMERIC_DATE, _NAMED_DATE):
        for match in pattern.finditer(line):
            name = match["month"]
            year, glued = split_year(match["year"])
            if name.isdigit():
                day = day_first_date(year, match["day"], name)
            else:
                month = month_number(name, fuzzy)
                day = valid_date(year, month, match["day"]) if month else None
            if day and day.year in PLAUSIBLE_YEARS:
                return day, glued + line[match.end() :]
    for match in _ISO_DATE.finditer(line):
        day = valid_date(match["year"], match["month"], match["day"])
        if day and day.year in PLAUSIBLE_YEARS:
            return day, line[match.end() :]
    return None


def split_year(digits: str) -> tuple[str, str]:
    """The year and the digits glued after it: "20188" is 2018 then 8, "1821" is 18 then 21."""
    if len(digits) >= 4 and 1990 <= int(digits[:4]) <= 2069:
        return digits[:4], digits[4:]
    return digits[:2], digits[2:]


def month_number(name: str, fuzzy: bool = True) -> str | None:
    """A month's number from its name; if fuzzy, with one misread letter ("Mer" for MAR)."""
    prefix = name[:3]
    if prefix in MONTHS:
        return str(MONTHS.index(prefix) + 1)
    if not fuzzy or len(name) != 3:
        return None
    close = [m for m in MONTHS if sum(a != b for a, b in zip(m, prefix, strict=True)) == 1]
    return str(MONTHS.index(close[0]) + 1) if len(close) == 1 else None


def day_first_date(year: str, first: str, second: str) -> dt.date | None:
    """A numeric date read day first (the receipts are Malaysian); month first only when day
    first is impossible and month first is not ("03/15/2019")."""
    return valid_date(year, second, first) or valid_date(year, first, second)


def valid_date(year: str, month: str, day: str) -> dt.date | None:
    """A calendar date, two-digit years 00-69 in the 2000s and 70-99 in the 1900s."""
    full_year = int(year)
    if len(year) == 2:
        full_year += 2000 if full_year < 70 else 1900
    try:
        return dt.date(full_year, int(month), int(day))
    except ValueError:
        return None
