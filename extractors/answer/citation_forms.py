"""The forms a field's value takes in print: amounts, dates, times and text, read from words.

A model answers `12.5`, `2018-03-27`, `18:05`; the page prints `RM12.50`, `27/03/18`, `6:05PM`.
These readers find such values in a run of page words so that the two compare equal. They are
the citation lookup's own (the `answer` stage may not import `visionbatch eval`'s normalisers,
which sit in `report`), and kept close to them: amounts with grouping or a decimal comma, dates
day first (month first only when day first is impossible), month names with one misread letter.
"""

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

# Letters OCR reads for digits inside a number ("12.5O", "l0.00").
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1"})

_NUMBER = re.compile(r"\d[\d,.']*\d|\d")
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})\s?([/.-])\s?(\d{1,2})\s?\2\s?(\d{4}|\d{2})(?!\d)")
# The year may have the time glued after it ("27/03/201810:30"): four digits then anything.
_GLUED_DATE = re.compile(r"(?<!\d)(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})([/.-])(\d{1,2})\2(\d{1,2})(?!\d)")
_NAMED_DATE = re.compile(
    r"(?<!\d)(\d{1,2})\s?[/.-]?\s?([A-Z]{3,9})\.?\s?[/.,-]?\s?(\d{4}|\d{2})(?!\d)"
)
_MONTH_FIRST = re.compile(r"\b([A-Z]{3,9})\.?\s?(\d{1,2}),?\s?(\d{4})(?!\d)")
_COMPACT_DATE = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{4})(?!\d)")
_TIME = re.compile(
    r"(?<!\d)(\d{1,2})\s?[:h]\s?(\d{2})(?:\s?[:.]\s?(\d{2}))?\s?([AP]\.?M\.?)?", re.I
)


def amounts_in(text: str) -> Iterator[Decimal]:
    """Every amount printed in a text: `RM12.50`, `1,234.50`, `12,50`, `1.234,50`, `-5.00`."""
    cleaned = text.translate(_DIGIT_LOOKALIKES) if any(c.isdigit() for c in text) else text
    for match in _NUMBER.finditer(cleaned):
        number = _amount(match[0].replace("'", ""))
        if number is not None:
            yield number


def _amount(digits: str) -> Decimal | None:
    """A printed number: the last `.` or `,` followed by 1-2 digits is the decimal mark, other
    marks group thousands."""
    mark = max(digits.rfind("."), digits.rfind(","))
    if mark >= 0 and 1 <= len(digits) - mark - 1 <= 2:
        whole, fraction = digits[:mark], digits[mark + 1 :]
    else:
        whole, fraction = digits, ""
    whole = whole.replace(",", "").replace(".", "")
    try:
        return Decimal(f"{whole or 0}.{fraction or 0}")
    except InvalidOperation:
        return None


def dates_in(text: str) -> Iterator[dt.date]:
    """Every date printed in a text, in any of the usual forms (day first when in doubt)."""
    upper = text.upper()
    for match in _NUMERIC_DATE.finditer(upper):
        yield from _day_first(match[4], match[1], match[3])
    for match in _GLUED_DATE.finditer(upper):
        yield from _day_first(match[4], match[1], match[3])
    for match in _ISO_DATE.finditer(upper):
        yield from _valid(match[1], match[3], match[4])
    for match in _NAMED_DATE.finditer(upper):
        yield from _valid(match[3], month_number(match[2]), match[1])
    for match in _MONTH_FIRST.finditer(upper):
        yield from _valid(match[3], month_number(match[1]), match[2])
    for match in _COMPACT_DATE.finditer(upper):
        yield from _valid(match[3], match[2], match[1])


def times_in(text: str) -> Iterator[dt.time]:
    """Every clock time printed in a text: `18:05`, `6:05 PM`, `18:05:33`, `18h05` (not
    `18.05`, which is an amount as often)."""
    for match in _TIME.finditer(text):
        hour, minute = int(match[1]), int(match[2])
        suffix = (match[4] or "").upper().replace(".", "")
        if suffix == "PM" and hour < 12:
            hour += 12
        elif suffix == "AM" and hour == 12:
            hour = 0
        second = int(match[3]) if match[3] else 0
        if hour < 24 and minute < 60 and second < 60:
            yield dt.time(hour, minute, second)


def month_number(name: str) -> str | None:
    """A month's number from its name, or from a name with one misread letter ("MER")."""
    prefix = name[:3]
    if prefix in MONTHS:
        return str(MONTHS.index(prefix) + 1)
    if len(name) != 3:
        return None
    close = [m for m in MONTHS if sum(a != b for a, b in zip(m, prefix, strict=True)) == 1]
    return str(MONTHS.index(close[0]) + 1) if len(close) == 1 else None


def _day_first(year: str, first: str, second: str) -> Iterator[dt.date]:
    """A numeric date day first; month first only when day first is impossible ("03/15/19")."""
    day_first = list(_valid(year, second, first))
    yield from day_first or _valid(year, first, second)


def _valid(year: str, month: str | None, day: str) -> Iterator[dt.date]:
    """The calendar date, if it is one: two-digit years 00-69 in the 2000s, 70-99 in the 1900s."""
    if month is None:
        return
    full_year = int(year)
    if len(year) == 2:
        full_year += 2000 if full_year < 70 else 1900
    try:
        yield dt.date(full_year, int(month), int(day))
    except ValueError:
        return


def text_key(text: str) -> str:
    """Uppercase letters and digits only: OCR's dropped spaces, case and punctuation compare
    equal (as `visionbatch eval` compares text)."""
    return "".join(c for c in text.upper() if c.isalnum())
