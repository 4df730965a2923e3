"""The receipt schema's fields from OCR text: the entry point that combines the rules."""

import json
from typing import Any

from extractors.offline.receipts.address import merchant_address
from extractors.offline.receipts.amounts import labelled_amounts
from extractors.offline.receipts.currency import currency
from extractors.offline.receipts.dates import date_and_time
from extractors.offline.receipts.items import items_end, line_items
from extractors.offline.receipts.kind import not_a_receipt
from extractors.offline.receipts.lines import clean_lines
from extractors.offline.receipts.merchant import merchant_line, merchant_name
from extractors.offline.receipts.money import before_summary, subtotal, tax, total
from extractors.offline.receipts.payment import payment_method


def receipt_answer(text: str) -> str:
    """The engine's answer to a receipt request: the fields as JSON, or why it is no receipt.

    A text that is not a receipt gets no fields at all (a letter's subtotal is no receipt's
    total): the answer says so in words (`not a receipt: <why>`), which the pipeline reads as
    a refusal (extractors/answer/degenerate.py `document_refusal`): its row is an `answer`
    error with these words, asked once.
    """
    lines = clean_lines(text)
    reason = not_a_receipt(lines, labelled_amounts(lines))
    if reason is not None:
        return f"not a receipt: {reason}"
    # Decimals as their exact digits: JSON numbers would go through binary floats.
    return json.dumps(receipt_fields(text), ensure_ascii=False, default=str)


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
        "merchant_address": merchant_address(lines, name_index),
        "date": None if purchase_date is None else purchase_date.isoformat(),
        "time": purchase_time,
        "currency": currency(text),
        "subtotal": subtotal(amounts),
        "tax": tax(amounts),
        "total": total(amounts, everywhere),
        "payment_method": payment_method(lines, amounts),
        "line_items": line_items(lines, items_end(lines)),
    }
