"""The purchased items: description, quantity, unit price and amount, from the item lines.

Item lines come before the first total; each carries its amount last, maybe a unit price
before it and a quantity ("2 x 6.50 13.00", "2x 4.25 8.50", "SABUN 2 3.50 7.00"). A line of
numbers only takes its description from the line above it, as tills print long names.
"""

import re
from decimal import Decimal
from typing import Any

from extractors.offline.receipts.amounts import amounts_in, is_amount_only
from extractors.offline.receipts.dates import date_in
from extractors.offline.receipts.labels import CHANGE, ROUNDING, SUBTOTAL, TAX_LABEL, TENDER, TOTAL
from extractors.offline.receipts.lines import letters
from extractors.offline.receipts.times import time_in

# The quantity before the prices: "2x", "2 X", "3 @", or a bare count right before them.
_QUANTITY = re.compile(r"(?:^|\s)(?P<quantity>\d{1,3})\s?(?:[xX*@]\s?)?$")


# Where the amounts of a line begin: its first amount with its currency sign.
_PRICES = re.compile(r"\s*(?:RM|MYR|EUR|S?\$|€|£)?\s?-?\d[\d,]*[.,]\d{2}(?!\d)")


# Lines that are not items, though they carry an amount.
_NOT_ITEM = re.compile(
    TOTAL + r"|DISC|SAVING|DEPOSIT|VOUCHER|SERVICE|CHARGE|ITEMS?\b|QTY|POINTS?|AMOUNT"
)


def line_items(lines: list[str], end: int) -> list[dict[str, Any]]:
    """The items printed above line `end` (the first total or tax line), in order."""
    items = []
    for index in range(end):
        item = _item(lines, index)
        if item is not None:
            items.append(item)
    return items


def items_end(lines: list[str]) -> int:
    """The index of the first subtotal, total, tax, tender or change line: items stop there."""
    for index, line in enumerate(lines):
        label = letters(line)
        is_summary = SUBTOTAL.search(label) or re.search(TOTAL, label) or TAX_LABEL.search(label)
        is_payment = TENDER.search(label) or CHANGE.search(label) or ROUNDING.search(label)
        if (is_summary or is_payment) and (amounts_in(line) or _next_is_amount(lines, index)):
            return index
    return len(lines)


def _next_is_amount(lines: list[str], index: int) -> bool:
    """A label whose amount is alone on the next line ("TOTAL" then "RM 12.00")."""
    return index + 1 < len(lines) and is_amount_only(lines[index + 1])


def _item(lines: list[str], index: int) -> dict[str, Any] | None:
    line = lines[index]
    values = amounts_in(line)
    if not values or len(values) > 2 or date_in(line.upper()) or time_in([line]):
        return None
    first = _PRICES.search(line)
    head = line[: first.start()] if first else line
    quantity_match = _QUANTITY.search(head)
    description = (head[: quantity_match.start()] if quantity_match else head).strip(" :-")
    if not re.search(r"[A-Za-z]{2}", description) and index > 0:
        description = _description_above(lines[index - 1])
    if not description or _NOT_ITEM.search(letters(description)):
        return None
    quantity = Decimal(quantity_match["quantity"]) if quantity_match else None
    unit_price = values[0] if len(values) == 2 else None
    if unit_price is None and quantity == 1:
        unit_price = values[-1]
    return {
        "description": description,
        "quantity": quantity,
        "unit_price": unit_price,
        "amount": values[-1],
    }


def _description_above(line: str) -> str:
    """The line above as a description: only when it holds words and no amount of its own."""
    if amounts_in(line) or not re.search(r"[A-Za-z]{2}", line) or date_in(line.upper()):
        return ""
    return line.strip(" :-")
