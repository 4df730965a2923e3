"""A receipt's currency is what it prints, or its merchant's country's, or none: never a guess."""

import csv
from pathlib import Path

import pytest

from extractors.offline.receipts.currency import currency
from extractors.offline.receipts.fields import receipt_fields

# The corpus's UNIHAKKA receipts as the embedded engine read them: a Malaysian till (Johor
# Bahru) printing `$` for ringgit, once misread as `S` ("Nett Total: S8.20").
UNIHAKKA = """\
UNIHAKKA INTERNATIONAL SDN BHD
12 Mar 2018 18:19
12, Jalan Tampoi 7/4,Kawasan Perindustrian
Tampoi,81200 Johor Bahru,Johor
SR 100100000035- 1 Meat + 3 Vege
{a} {a}
Total Amount: {a}
GST @6%: $0.46
Nett Total: S8.20
CASH {a}
Change $0.00
"""


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("TOTAL RM 5.00", "MYR"),
        ("TOTAL(RM) 5.00", "MYR"),
        ("TOTAL MYR 5.00", "MYR"),
        ("TOTAL S$5.00", "SGD"),
        ("TOTAL US$5.00", "USD"),
        ("TOTAL HK$5.00", "HKD"),
        ("TOTAL 5.00 USD", "USD"),
        ("TOTAL EUR 5,00", "EUR"),
        ("TOTAL €5,00", "EUR"),
        ("TOTAL £5.00", "GBP"),
        ("TOTAL $5.00", None),  # a dollar sign alone names no currency
        ("CAFE MERIDIAN\n450 Harbor Blvd\nTOTAL $5.00", None),
        ("SHOP PTE LTD\nORCHARD ROAD SINGAPORE 238801\nTOTAL $5.00", "SGD"),
        ("KEDAI SDN BHD\n43000 KAJANG, SELANGOR\nTOTAL $5.00", "MYR"),
        ("KEDAI\nKUALA LUMPUR\nTOTAL 5.00", "MYR"),  # the country alone says it
        ("KEDAI\nJOHOR BAHRU\nTOTAL €5.00", "MYR"),  # the country over a lone sign (a misread)
        ("KEDAI\nJOHOR BAHRU\nTOTAL USD 5.00", "USD"),  # a code printed wins
        ("PERMAS JAYA\nTOTAL 5.00", None),  # "RM" inside a word is not ringgit
        ("FLEUR DE LIS BOUTIQUE\nTOTAL 5.00", None),  # nor "EUR" inside a word a euro
        ("HAUSDORF\nTOTAL 5.00", None),  # nor "USD"
    ],
)
def test_the_currency_rule(text: str, code: str | None) -> None:
    assert currency(text) == code


def test_one_merchant_s_dollar_receipts_all_get_one_currency() -> None:
    """Three receipts of one merchant that print `$` get the same answer, from its country."""
    answers = {
        receipt_fields(UNIHAKKA.format(a=amount))["currency"]
        for amount in ("$8.20", "$8.60", "$9.20")
    }
    assert answers == {"MYR"}


@pytest.mark.corpus
def test_every_corpus_receipt_s_currency_is_its_country_s(corpus: Path) -> None:
    """The 120 SROIE receipts are all Malaysian: each is MYR or says nothing, none a dollar."""
    found = []
    for path in sorted((corpus / "receipts").glob("sroie_*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            text = "\n".join(",".join(row[8:]) for row in csv.reader(handle))
        found.append(currency(text))
    assert len(found) == 120
    assert set(found) <= {"MYR", None} and found.count("MYR") >= 110
