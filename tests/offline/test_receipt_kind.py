"""Whether OCR text is a receipt at all, and how it was paid."""

import json

import pytest
from test_receipt_rules import ROUNDED_TOTAL

from extractors.offline.receipts.amounts import labelled_amounts
from extractors.offline.receipts.fields import receipt_answer
from extractors.offline.receipts.lines import clean_lines
from extractors.offline.receipts.payment import payment_method


def test_a_receipt_is_answered_with_its_fields() -> None:
    assert json.loads(receipt_answer(ROUNDED_TOTAL))["total"] == "11.45"


def test_a_report_is_not_a_receipt() -> None:
    """Running text quoting amounts and page numbers ("Page 2 of 14", "0.42") is no receipt."""
    report = "\n".join(
        [
            "Regional Distribution Network Review",
            "Fiscal Year 2024",
            *[
                "The network handled 18.4 million order lines in 2024, an increase on the year,"
                f" while the cost per order line fell to 0.42 in centre {n}."
                for n in range(12)
            ],
            "Total cost per line 0.42",
            "Regional Distribution Network Review Page 2 of 14",
        ]
    )
    assert receipt_answer(report).startswith("not a receipt: ")


def test_a_glued_iso_date_and_time_are_split() -> None:
    text = "CAFE MERIDIAN\n450 Harbor Blvd\n2025-06-0212:41\nCAPPUCCINO 2x 4.25 8.50\nTOTAL $8.50"
    answer = receipt_answer(text)
    assert '"date": "2025-06-02"' in answer and '"time": "12:41"' in answer


@pytest.mark.parametrize(
    ("tender", "method"),
    [
        ("MASTERCARD ****1234 RM12.00", "MASTERCARD"),
        ("VISA 4242 12.00", "VISA"),
        ("E-WALLET (GRABPAY) 12.00", "E-WALLET"),
        ("DEBIT CARD 12.00", "DEBIT"),
        ("CASH\nTENDERED RM20.00", "CASH"),
        ("CASHIER: ALI\nTHANK YOU", None),
    ],
)
def test_the_payment_method_is_read_from_the_tender_lines(tender: str, method: str | None) -> None:
    lines = clean_lines(f"SHOP SDN BHD\nNO 1 JALAN 2\nDATE 01/02/2019\nTOTAL RM12.00\n{tender}")
    assert payment_method(lines, labelled_amounts(lines)) == method
