"""The money fields of a receipt: total, subtotal and tax (its currency: currency.py)."""

import re
from decimal import Decimal

from extractors.offline.receipts.amounts import Amount
from extractors.offline.receipts.labels import (
    CHANGE,
    EXCLUDING,
    FINAL_TOTAL,
    NOT_A_TOTAL,
    ROUNDING,
    SUBTOTAL,
    SUMMARY,
    TAX_INCLUDED,
    TAX_LABEL,
    TAX_ONLY,
    TENDER,
    TOTAL,
)
from extractors.offline.receipts.lines import letters

CENT = Decimal("0.01")


# Malaysian cash rounding goes to the nearest 0.05, so an adjustment is always below this.
ROUNDING_STEP = Decimal("0.10")


def total_rank(amount: Amount) -> int:
    """How final a labelled amount is: 3 rounded/net/payable, 2 total, 1 subtotal, 0 none."""
    label = amount.label
    if CHANGE.search(label) or TENDER.search(label) or TAX_INCLUDED.search(label):
        return 0
    if NOT_A_TOTAL.match(label):  # "Saving 3.80 Rounding 0.00": the saving's amount
        return 0
    if ROUNDING.search(label):
        # "Rounding 0.02" is the adjustment; "Rounding 12.35", "Rounded Total" the result.
        return 3 if abs(amount.value) >= ROUNDING_STEP else 0
    if SUBTOTAL.search(label):
        return 1
    if EXCLUDING.search(label) or NOT_A_TOTAL.search(label) or TAX_ONLY.search(label):
        return 0
    if FINAL_TOTAL.search(label):
        return 3
    return 2 if re.search(TOTAL, label) else 0


def before_summary(amounts: list[Amount], lines: list[str]) -> list[Amount]:
    """The amounts above the tax summary table, whose own "Total" row is not the total."""
    for index, line in enumerate(lines):
        above = [a for a in amounts if a.index < index]
        if SUMMARY.search(letters(line)) and any(total_rank(a) >= 2 for a in above):
            return above
    return amounts


def total(amounts: list[Amount], everywhere: list[Amount]) -> Decimal | None:
    """The amount paid: the most final labelled total, checked against tendered minus change.

    `amounts` are those above the tax summary, `everywhere` all of them (for the fallback).
    Among totals of the same rank (`total_rank`) the last one wins: receipts print the running
    totals in order. Tender (cash, card, paid) and change lines never give the total. A total
    within a rounding step of the amount actually paid gives way to it: the paid amount is the
    rounded total. Without a total label: tendered minus change, then the subtotal, then the
    largest amount printed twice.
    """
    candidates = [a for a in amounts if total_rank(a) >= 2 and a.value > 0]
    paid = tendered_minus_change(amounts)
    if candidates:
        best = max(candidates, key=lambda a: (total_rank(a), a.index))
        near_paid = paid is not None and abs(best.value - paid) < ROUNDING_STEP / 2
        return _cents(paid if near_paid and paid is not None else best.value)
    fallback = paid or subtotal(amounts) or largest_repeated(everywhere)
    return None if fallback is None else _cents(fallback)


def tendered_minus_change(amounts: list[Amount]) -> Decimal | None:
    """What the customer actually paid, when both the tender and the change are printed."""
    change = [a.value for a in amounts if CHANGE.search(a.label)]
    tendered = [a.value for a in amounts if TENDER.search(a.label) and not CHANGE.search(a.label)]
    if not change or not tendered:
        return None
    paid = abs(tendered[0]) - abs(change[0])
    return paid if paid > 0 else None


def largest_repeated(amounts: list[Amount]) -> Decimal | None:
    """The largest amount printed more than once: the total is repeated by the tender lines."""
    values = [a.value for a in amounts if a.value > 0]
    repeated = [value for value in set(values) if values.count(value) > 1]
    return max(repeated) if repeated else None


def subtotal(amounts: list[Amount]) -> Decimal | None:
    """The first subtotal, or total before tax."""
    for amount in amounts:
        label = amount.label
        if SUBTOTAL.search(label) or (re.search(TOTAL, label) and EXCLUDING.search(label)):
            return _cents(amount.value)
    return None


def tax(amounts: list[Amount]) -> Decimal | None:
    """The first tax amount: "GST 6% 1.26", "Total GST: 5.27", "GST Payable: 3.71"."""
    for amount in amounts:
        label = amount.label
        # Labels start or end with the tax's name; inside a word ("H/VATER") it is not a tax.
        is_tax = TAX_LABEL.search(label) and not EXCLUDING.search(label)
        is_other = re.search(r"ID|NO|REG|INVOICE|INCL(?!UDED)|TAXABLE|SUMMARY", label)
        if is_tax and not is_other and total_rank(amount) == 0:
            return _cents(amount.value)
    return None


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)
