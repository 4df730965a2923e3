"""The OCR text as lines, and a line's letters, which the rules match labels on."""

import re
import unicodedata


def clean_lines(text: str) -> list[str]:
    """The non-empty lines, with full-width forms ("：", "（") folded to ASCII (NFKC)."""
    folded = unicodedata.normalize("NFKC", text)
    return [line.strip() for line in folded.splitlines() if line.strip()]


def letters(line: str) -> str:
    """The line's letters only, uppercased: labels match however OCR spaced them.

    The recogniser often drops the spaces between words ("TAMANDAYA") and confuses letters
    ("TOTAI", "NettTatal"), so labels are matched on the letters alone, tolerating the usual
    confusions.
    """
    return re.sub(r"[^A-Z]", "", line.upper())
