"""What a model would answer for marked receipts: a ChatServer ``document_answer``."""

from typing import Any

from chat_server import RecordedRequest


def pages_of(record: RecordedRequest) -> list[tuple[int, int]]:
    """(document, page) of each marked image in a request."""
    return [(v // 256, v % 256) for v in record.marker_values if v is not None]


def receipt_answer(record: RecordedRequest) -> dict[str, Any]:
    """What a model would read from a marked receipt: fields derived from its marks.

    The merchant is printed on page 1, the total on the last page (`pages` pages long, told
    by the prompt), and every page holds one line item.
    """
    marks = pages_of(record)
    doc = marks[0][0]
    answer: dict[str, Any] = {
        "line_items": [
            {"description": f"item {d}-{p}", "quantity": 1, "unit_price": p, "amount": p}
            for d, p in marks
        ]
    }
    if any(p == 1 for _, p in marks):
        answer |= {"merchant_name": f"Shop {doc}", "date": f"2024-03-{doc:02d}", "time": "18:05"}
    if "of a" not in " ".join(record.texts) or any(p == _length(record) for _, p in marks):
        answer |= {"total": f"{doc}.50", "currency": "EUR", "tax": 1.25}
    return answer


def _length(record: RecordedRequest) -> int:
    """The document length the prompt states (`... of a 10-page document`)."""
    for text in record.texts:
        if "-page document" in text:
            return int(text.split("-page document")[0].rsplit(" ", 1)[-1])
    return 1
