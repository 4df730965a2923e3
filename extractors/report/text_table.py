"""A titled table of display strings, and the formats its cells share."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TextTable:
    """A titled table of display strings; `numeric` names the columns aligned right."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[str] = frozenset()
    note: str | None = None


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float) -> str:
    """`42.0 s`, `12 min 05 s`, `3 h 02 min`."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def money(amount: float, currency: str) -> str:
    return f"{amount:,.4f} {currency}"


def optional_cell(value: float | None, template: str) -> str:
    return "-" if value is None else template.format(value)


def page_cell(page: int | None) -> str:
    return "-" if page is None else str(page)
