"""The merchant's name and address, found in the receipt's header lines."""

import re

from extractors.offline.receipts.amounts import amounts_in
from extractors.offline.receipts.confusions import fix_digit_letter_confusion
from extractors.offline.receipts.dates import date_in

# The recogniser splits and glues these letters ("SDN BH D", "SDNBHD"): no word ends in BHD.
LEGAL_SUFFIX = re.compile(
    r"S\s?D\s?N\.?\s*B\s?H\s?D\b\.?|B\s?H\s?D\b\.?|BERHAD|S/B\b\.?|\bLTD\b\.?|LIMITED|"
    r"\bINC\b\.?|\bLLC\b|\bPLC\b|GMBH|\bCO\.(?!\s*(?:REG|NO))|\bPTE\b"
)


_TRADE_WORD = re.compile(
    r"ENTERPRISE|TRADING|RESTAURANT|RESTORAN|STORES?\b|CAFE|BAKERY|PHARMACY|HARDWARE|"
    r"STATIONERY|SUPERMARKET|MINIMARKET|KEDAI|PERNIAGAAN|SYARIKAT"
)


# OCR reads the S of S/B as 5 ("99 SPEED MART 5/B"), as it reads S as 5 elsewhere.
_SB_MISREAD = re.compile(r"(?<![\d/])5/B\b")


# Lines that end the header: contact details, tax and registration ids, document titles.
_HEADER_END = re.compile(
    r"(?<![A-Z])(?:TEL|FAX|PHONE|H/P|G[S5]T|SST|VAT|TIME(?![A-Z])|TABLE|BILL|ORDER)|"
    r"REG\b|REG[.:N]|CO\.?\s?NO|COMPANY\s?NO|COMPANYREG|"
    r"INVOICE|INV\s?NO|RECEIPT|CASHIER|EMAIL|E-MAIL|WWW|HTTP|@|DATE"
)


# How far down the legal name is looked for when the header lines hold none.
_TOP_LINES = 10


# A phone, document or id number: addresses hold no run of seven digits (postcodes have five).
_LONG_NUMBER = re.compile(r"\d{7,}")


_REGISTRATION = re.compile(r"^\(?[A-Z]{0,3}\d{4,}-?[A-Z]{0,3}\)?$")


# A street line: a lot, unit or house number with a road ("LOT P.T. 2811, JALAN ANGSA",
# "No.1 Jalan SS 9/1"), printed under the name.
_STREET = re.compile(
    r"^(?:LOT|NO\b|NO\.|UNIT|\d).*\b(?:JALAN|JLN|LORONG|PERSIARAN|LEBUHRAYA|ROAD|STREET)\b"
)


AFFILIATION = re.compile(r"^(?:LICENSEE|FRANCHISEE|OPERATED BY|OWNED BY|A MEMBER OF)")


def is_junk(line: str) -> bool:
    """Not a name: too few letters, more digits than letters, or handwriting (all lowercase)."""
    alpha = [c for c in line if c.isalpha() and c.isascii()]
    digits = sum(c.isdigit() for c in line)
    return len(alpha) < 3 or digits >= len(alpha) or all(c.islower() for c in alpha)


def is_scribble(line: str) -> bool:
    """Handwriting or a stamp: under three letters, or lowercase only."""
    alpha = [c for c in line if c.isalpha() and c.isascii()]
    return len(alpha) < 3 or all(c.islower() for c in alpha)


def is_registration(line: str) -> bool:
    """An id line: "(123456-U)", "Co-REG:654321-D", "Company No: 12345-U"."""
    upper = line.upper()
    compact = re.sub(r"[\s()\[\].:]", "", upper)
    return bool(
        _REGISTRATION.match(compact)
        or re.match(r"CO-?REG|COMPANYREG", compact)
        or re.search(r"\d{5,}-\s?[A-Z]\b", upper)  # a registration number inside the line
    )


def ends_header(line: str) -> bool:
    """Contact, id and document lines that follow the merchant's name and address."""
    upper = line.upper()
    digits = re.sub(r"[\s-]", "", line)
    return bool(_HEADER_END.search(upper) or _LONG_NUMBER.search(digits) or date_in(upper))


def merchant_line(lines: list[str]) -> int | None:
    """The index of the merchant's name: legal suffix, else trade word, else first in header.

    The header ends above the first phone, tax id, date or invoice line: the name is the
    first line there with a legal suffix (SDN BHD, BHD, S/B, LTD...), else the first with a
    trade word (RESTAURANT, TRADING, ENTERPRISE...), else a line with a legal suffix a little
    further down (under a logo and a "TAX INVOICE" title), else the first line that is not junk,
    unless the address comes first: then the name was a logo or went unread, and is None.
    """
    header = [index for index in header_lines(lines) if not is_street(lines[index])]
    for pattern in (LEGAL_SUFFIX, _TRADE_WORD):
        for index in header:
            if pattern.search(ocr_fixed_suffix(lines[index]).upper()):
                return index
    below = legal_name_below(lines, header[-1] + 1 if header else 0)
    if below is not None:
        return below
    if not header or any(is_street(line) for line in lines[: header[0]]):
        return None
    return header[0]


def is_street(line: str) -> bool:
    """A street line of an address: a lot, unit or house number with a road."""
    return bool(_STREET.match(line.strip().upper()))


def legal_name_below(lines: list[str], start: int) -> int | None:
    """A line with a legal suffix printed under a logo and a document title ("TAX INVOICE"):
    within the top lines, above the first date or amount."""
    for index in range(start, min(len(lines), _TOP_LINES)):
        line = lines[index]
        if date_in(line.upper()) or amounts_in(line):
            return None
        if LEGAL_SUFFIX.search(ocr_fixed_suffix(line).upper()):
            return index
    return None


def ocr_fixed_suffix(line: str) -> str:
    """The line with its misread "S/B" spelt right."""
    return _SB_MISREAD.sub("S/B", line)


def header_lines(lines: list[str]) -> list[int]:
    """Indices of the name-like lines above the first contact/id line after a name."""
    found: list[int] = []
    for index, line in enumerate(lines[:15]):
        # "Maju Jaya Sdn Bhd (Co. No: 12345-T)": the name with its id on one line.
        has_name = bool(LEGAL_SUFFIX.search(ocr_fixed_suffix(line).upper()))
        if not has_name and (is_junk(line) or is_registration(line)):
            continue
        if not has_name and (ends_header(line) or amounts_in(line)):
            if found:
                break
            continue
        found.append(index)
    return found


def merchant_name(lines: list[str], index: int) -> str:
    """The name as printed, cut after its legal suffix (dropping the registration number).

    A line that is only a legal form ("CO. (M) SDN BHD") ends the name begun on the line above,
    and so does a line that closes a bracket the line above opened ("ENTERPRISE (SETIA" /
    "ALAM) SDN BHD"); a line above that begins with a trade word goes on from the one above it
    ("AIK HUAT HARDWARE" / "ENTERPRISE (SETIA").
    """
    name = ocr_fixed_suffix(lines[index])
    suffixes = list(LEGAL_SUFFIX.finditer(name.upper()))
    if suffixes:
        name = name[: suffixes[-1].end()]
        rest = LEGAL_SUFFIX.sub("", name.upper())
        above = lines[index - 1] if index > 0 else ""
        continues = above.count("(") > above.count(")") and name.count(")") > name.count("(")
        if index > 0 and (continues or len(re.sub(r"\([A-Z]{0,2}\)|[^A-Z]", "", rest)) < 3):
            name = f"{above} {name}"
            if index > 1 and _TRADE_WORD.match(above.upper()) and not is_junk(lines[index - 2]):
                name = f"{lines[index - 2]} {name}"
    return fix_digit_letter_confusion(re.sub(r"[\s(\[,-]*$", "", name).strip())
