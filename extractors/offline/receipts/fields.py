"""The receipt schema's fields from OCR text: the entry point that combines the rules."""

from typing import Any

from extractors.offline.receipts.amounts import labelled_amounts
from extractors.offline.receipts.dates import date_and_time
from extractors.offline.receipts.lines import clean_lines
from extractors.offline.receipts.merchant import merchant_address, merchant_line, merchant_name
from extractors.offline.receipts.money import (
    before_summary,
    currency,
    payment_method,
    subtotal,
    tax,
    total,
)


def receipt_fields(text: str) -> dict[str, Any]:
    """The receipt schema's fields found in a receipt's OCR text; None where nothing was found.

    The text is what RapidOCR read, one printed line per text line, in reading order; it has
    no schema of its own, so every field is found by rules.
    """
    lines = clean_lines(text)
    everywhere = labelled_amounts(lines)
    amounts = before_summary(everywhere, lines)
    name_index = merchant_line(lines)
    purchase_date, purchase_time = date_and_time(lines)
    return {
        "merchant_name": None if name_index is None else merchant_name(lines, name_index),
        "merchant_address": None if name_index is None else merchant_address(lines, name_index),
        "date": None if purchase_date is None else purchase_date.isoformat(),
        "time": purchase_time,
        "currency": currency(text),
        "subtotal": subtotal(amounts),
        "tax": tax(amounts),
        "total": total(amounts, everywhere),
        "payment_method": payment_method(amounts),
        "line_items": [],
    }
