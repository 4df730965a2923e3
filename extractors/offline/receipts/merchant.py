"""The merchant's name and address, found in the receipt's header lines."""

import re

from extractors.offline.receipts.amounts import amounts_in
from extractors.offline.receipts.dates import date_in

_LEGAL_SUFFIX = re.compile(
    r"SDN\.?\s*BHD\.?|\bBHD\b\.?|BERHAD|S/B\b\.?|\bLTD\b\.?|LIMITED|\bINC\b\.?|\bLLC\b|"
    r"\bPLC\b|GMBH|\bCO\.(?!\s*(?:REG|NO))|\bPTE\b"
)


_TRADE_WORD = re.compile(
    r"ENTERPRISE|TRADING|RESTAURANT|RESTORAN|STORES?\b|CAFE|BAKERY|PHARMACY|HARDWARE|"
    r"STATIONERY|SUPERMARKET|MINIMARKET|KEDAI|PERNIAGAAN|SYARIKAT"
)


# OCR reads the S of SDN as 5 and its D as O: "5dn Bhd", "SON BHD".
_SDN_BHD_OCR = re.compile(r"(?:5[DO0]N|S[O0]N)\.?\s*BHD", re.IGNORECASE)


# Lines that end the header: contact details, tax and registration ids, document titles.
_HEADER_END = re.compile(
    r"(?<![A-Z])(?:TEL|FAX|PHONE|H/P|G[S5]T|SST|VAT|TIME(?![A-Z])|TABLE|BILL|ORDER)|"
    r"REG\b|REG[.:N]|CO\.?\s?NO|COMPANY\s?NO|COMPANYREG|"
    r"INVOICE|INV\s?NO|RECEIPT|CASHIER|EMAIL|E-MAIL|WWW|HTTP|@|DATE"
)


# A phone, document or id number: addresses hold no run of seven digits (postcodes have five).
_LONG_NUMBER = re.compile(r"\d{7,}")


_REGISTRATION = re.compile(r"^\(?[A-Z]{0,3}\d{4,}-?[A-Z]{0,3}\)?$")


_AFFILIATION = re.compile(r"^(?:LICENSEE|FRANCHISEE|OPERATED BY|OWNED BY|A MEMBER OF)")


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
    """An id line: "(123456-U)", "Co-REG:654321-D", "Company No: 12345-U", "Site: 1234"."""
    upper = line.upper()
    compact = re.sub(r"[\s()\[\].:]", "", upper)
    return bool(
        _REGISTRATION.match(compact)
        or re.match(r"CO-?REG|COMPANYREG", compact)
        or re.search(r"\d{5,}-\s?[A-Z]\b", upper)  # a registration number inside the line
        or re.fullmatch(r"[A-Z .#]{1,12}:\s*\d+", upper)  # "Site:1046", "Store: 12"
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
    trade word (RESTAURANT, TRADING, ENTERPRISE...), else the first line that is not junk.
    """
    header = header_lines(lines)
    for pattern in (_LEGAL_SUFFIX, _TRADE_WORD):
        for index in header:
            if pattern.search(ocr_fixed_suffix(lines[index]).upper()):
                return index
    return header[0] if header else None


def ocr_fixed_suffix(line: str) -> str:
    """The line with its misread "SDN BHD" spelt right."""
    return _SDN_BHD_OCR.sub("SDN BHD", line)


def header_lines(lines: list[str]) -> list[int]:
    """Indices of the name-like lines above the first contact/id line after a name."""
    found: list[int] = []
    for index, line in enumerate(lines[:15]):
        # "Maju Jaya Sdn Bhd (Co. No: 12345-T)": the name with its id on one line.
        has_name = bool(_LEGAL_SUFFIX.search(ocr_fixed_suffix(line).upper()))
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

    A line that is only a legal form ("CO. (M) SDN BHD") ends the name begun on the line above.
    """
    name = ocr_fixed_suffix(lines[index])
    suffixes = list(_LEGAL_SUFFIX.finditer(name.upper()))
    if suffixes:
        name = name[: suffixes[-1].end()]
        rest = _LEGAL_SUFFIX.sub("", name.upper())
        if index > 0 and len(re.sub(r"\([A-Z]{0,2}\)|[^A-Z]", "", rest)) < 3:
            name = f"{lines[index - 1]} {name}"
    return fix_digit_letter_confusion(re.sub(r"[\s(\[,-]*$", "", name).strip())


def fix_digit_letter_confusion(text: str) -> str:
    """Zeros read inside words become O ("L0T", "BL0CK"), O inside numbers 0 ("4730O"),
    and 1 inside lowercase words l ("Ja1an"): the recogniser's usual confusions."""
    text = re.sub(r"(?<=[A-Z])0+(?=[A-Z])", lambda m: "O" * len(m[0]), text)
    text = re.sub(r"(?<=\d)[Oo](?=\d|\b)|(?<=\b)[Oo](?=\d)", "0", text)
    return re.sub(r"(?<=[a-z])1(?=[a-z])", "l", text)


def merchant_address(lines: list[str], name_index: int) -> str | None:
    """The lines after the name up to a contact, id, date or amount line, joined with ", "."""
    address: list[str] = []
    for line in lines[name_index + 1 : name_index + 10]:
        is_other = is_registration(line) or ends_header(line) or _AFFILIATION.match(line.upper())
        if amounts_in(line) or _LEGAL_SUFFIX.search(line.upper()):
            break
        if is_other or is_scribble(line):
            if address:
                break
            continue
        address.append(fix_digit_letter_confusion(line.strip(" ,")))
    return ", ".join(from_first_number(address)) or None


def from_first_number(address: list[str]) -> list[str]:
    """The address from its first line with a number: lines above it name the outlet."""
    numbered = [index for index, line in enumerate(address) if re.search(r"\d", line)]
    return address[numbered[0] :] if numbered else address
