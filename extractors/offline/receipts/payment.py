"""How a receipt was paid: the card brand or wallet printed on its tender lines, else cash."""

import re

from extractors.offline.receipts.amounts import Amount, amounts_in
from extractors.offline.receipts.labels import CHANGE
from extractors.offline.receipts.lines import letters

# Methods by the letters of their line, most specific first ("MASTERCARD" before "CARD").
_METHODS = (
    ("MASTERCARD", re.compile(r"MASTER|MASTRCARD")),
    ("VISA", re.compile(r"VISA")),
    ("AMEX", re.compile(r"AMEX|AMERICANEXPRESS")),
    ("UNIONPAY", re.compile(r"UNIONPAY")),
    ("E-WALLET", re.compile(r"EWALLET|GRABPAY|TOUCHNGO|TNGO|BOOST|SHOPEEPAY|ALIPAY|WECHATPAY")),
    ("DEBIT", re.compile(r"DEBIT")),
    ("CARD", re.compile(r"CREDITCARD|CARDPAYMENT|CARDSALE|^CARD")),
)


# Cash as the tender: "CASH 50.00", "Cash tendered"; not "CASHIER", "CASH BILL", "CASH SALES".
_CASH = re.compile(r"^(?:PAID)?CASH(?!IER|BILL|SALE|REGISTER|INVOICE|MEMO)")


def payment_method(lines: list[str], amounts: list[Amount]) -> str | None:
    """The card, wallet or cash a receipt was paid with, as printed on its tender lines.

    A card or wallet line counts anywhere below the header; a cash line counts when it
    carries an amount, or the line below does ("CASH" then "TENDERED $40.00").
    """
    for name, pattern in _METHODS:
        if any(pattern.search(letters(line)) for line in lines[3:]):
            return name
    for index, line in enumerate(lines):
        label = letters(line)
        if not _CASH.search(label) or CHANGE.search(label):
            continue
        below = lines[index + 1] if index + 1 < len(lines) else ""
        if amounts_in(line) or amounts_in(below):
            return "CASH"
    if any(_CASH.search(a.label) and not CHANGE.search(a.label) for a in amounts):
        return "CASH"
    return None
