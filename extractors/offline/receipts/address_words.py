"""The common words of Malaysian addresses, to put right a letter the recogniser misread.

Addresses are printed in small type, and one wrong letter ("SLANGOR", "JAAN", "Henara")
makes the whole address wrong. A word of five letters or more one edit away from exactly one
of these words, and not one of them itself, is taken for it. The list holds the states and the
words that name the parts of an address, none shorter than five letters: shorter words are
too close to others.
"""

import re

# States and federal territories, in their usual spellings (and Johor's capital, Johor
# Bahru, on most of its addresses); not KEDAH, PERAK, SABAH: one letter
# from other words ("KEDAI").
_STATES = (
    "JOHOR KELANTAN MELAKA MALACCA NEGERI SEMBILAN PAHANG PENANG PINANG PERLIS SARAWAK "
    "SELANGOR TERENGGANU KUALA LUMPUR LABUAN PUTRAJAYA DARUL EHSAN TAKZIM MALAYSIA BAHRU"
)


# The parts of an address: roads, areas, buildings, floors. Not the words of place names
# ("INDAH", "UTAMA", "TANJUNG"): those have real neighbours ("ENDAH", "UTARA", "SANJUNG").
_PARTS = (
    "JALAN LORONG PERSIARAN LEBUHRAYA LINGKARAN TAMAN BANDAR KAMPUNG KAWASAN PERINDUSTRIAN "
    "INDUSTRIAL SEKSYEN SECTION MUKIM DAERAH MENARA WISMA BANGUNAN PLAZA KOMPLEKS COMPLEKS COMPLEX "
    "PUSAT DAGANGAN PERNIAGAAN LEVEL FLOOR GROUND BLOCK BASEMENT SQUARE AVENUE STREET"
)


ADDRESS_WORDS = frozenset((_STATES + " " + _PARTS).split())


# Shorter words are left as read: "Alan" is a misread "ALAM" as much as "JALAN", and "KUAL"
# is a half of "KUAL A" split by the spacing.
_SHORTEST = 5


# A word of the line: letters, with the digits OCR reads for letters inside it ("Leve1").
# Not beside a lone letter: "M alaysia" and "KUAL A" are words the spacing split, not misread;
# a letter with a point is an abbreviation ("Selangor D.E.").
_WORD = re.compile(
    r"(?<!\b[A-Za-z] )(?<![A-Za-z\d])[A-Za-z][A-Za-z01]*[A-Za-z1](?![A-Za-z\d])"
    r"(?! [A-Za-z]\b(?!\.))"
)


def corrected_words(line: str) -> str:
    """The line with each misread address word spelt right, in the case it was printed in."""
    return _WORD.sub(lambda match: _corrected(match[0]), line)


def _corrected(word: str) -> str:
    upper = word.upper()
    if len(upper) < _SHORTEST or upper in ADDRESS_WORDS:
        return word
    close = [known for known in ADDRESS_WORDS if _one_edit_apart(upper, known)]
    if len(close) != 1:
        return word
    if word.isupper() or not any(c.isalpha() and c.islower() for c in word):
        return close[0]
    return close[0].capitalize() if word[0].isupper() else close[0].lower()


def _one_edit_apart(word: str, known: str) -> bool:
    """One letter changed, added or dropped ("SLANGOR", "Selangol", "JAAN" for JALAN)."""
    if abs(len(word) - len(known)) > 1:
        return False
    if len(word) == len(known):
        return sum(a != b for a, b in zip(word, known, strict=True)) == 1
    short, long = sorted((word, known), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
