"""Whether OCR text is a till receipt at all: a letter or a report must not yield fields.

A receipt is short, made of short lines, and prints amounts with a total, tender or change
line among them. Running text (lines of many lowercase words) is a letter, a report or a
contract, whatever amounts it quotes.
"""

import re

from extractors.offline.receipts.amounts import Amount
from extractors.offline.receipts.labels import CHANGE, TENDER, TOTAL

# Receipts measured on SROIE hold at most a few lines of prose (terms, thanks, a slogan).
_MAX_PROSE_LINES = 6
_MAX_PROSE_SHARE = 0.25


# A line of running text: this many words, most letters lowercase.
_PROSE_WORDS = 7


def not_a_receipt(lines: list[str], amounts: list[Amount]) -> str | None:
    """Why the text is not a receipt, in a few words; None when it reads as one."""
    prose = sum(is_prose(line) for line in lines)
    if prose > _MAX_PROSE_LINES and prose > _MAX_PROSE_SHARE * len(lines):
        return f"{prose} of {len(lines)} lines are running text"
    if not amounts:
        return "no amounts with two decimals"
    labelled = [a for a in amounts if re.search(TOTAL, a.label) or TENDER.search(a.label)]
    if not labelled and not any(CHANGE.search(a.label) for a in amounts):
        return "no total, tender or change line"
    return None


def is_prose(line: str) -> bool:
    """A line of running text: many words, mostly lowercase letters."""
    words = re.findall(r"[^\W\d_]{2,}", line)
    letters = [c for c in line if c.isalpha()]
    lowercase = sum(c.islower() for c in letters)
    return len(words) >= _PROSE_WORDS and lowercase >= 0.6 * len(letters)
