"""Which writing system a text is in, by its letters' Unicode names."""

import re
import unicodedata
from collections import Counter

# Unicode names start with the script for most letters ("CYRILLIC SMALL LETTER A"); these
# families are grouped under one name.
_FAMILIES = {
    "CJK": "Han",
    "HIRAGANA": "Japanese",
    "KATAKANA": "Japanese",
    "HANGUL": "Hangul",
}


def letter_script(char: str) -> str | None:
    """The script of one letter ("Latin", "Cyrillic", "Han"...), None for a non-letter."""
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    if not name:
        return None
    first = name.split(" ", 1)[0]
    return _FAMILIES.get(first, first.capitalize())


_ASCII_LETTER = re.compile(r"[A-Za-z]")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")


def script_counts(text: str) -> Counter[str]:
    """Letters per script in `text`; ASCII letters, most of most pages, counted in C."""
    counts: Counter[str] = Counter()
    for char in "".join(_NOT_ASCII.findall(text)):
        script = letter_script(char)
        if script is not None:
            counts[script] += 1
    ascii_letters = len(_ASCII_LETTER.findall(text))
    if ascii_letters:
        counts["Latin"] += ascii_letters
    return counts


def main_script(text: str) -> str | None:
    """The script most of the text's letters are in; None when it has no letters."""
    counts = script_counts(text)
    return counts.most_common(1)[0][0] if counts else None
