"""The merchant's address: the lines under its name, up to its contact and id lines."""

import re

from extractors.offline.receipts.address_words import corrected_words
from extractors.offline.receipts.amounts import amounts_in
from extractors.offline.receipts.confusions import fix_digit_letter_confusion
from extractors.offline.receipts.lines import letters
from extractors.offline.receipts.merchant import (
    AFFILIATION,
    LEGAL_SUFFIX,
    ends_header,
    is_registration,
    is_scribble,
    is_street,
)

# How many lines under the name an address may take.
_ADDRESS_LINES = 9


# A postcode: five digits standing alone ("47400 Petaling Jaya", "53200,KUALA LUMPUR").
_POSTCODE = re.compile(r"(?<!\d)\d{5}(?!\d)")


# A labelled field ("Pay By: CASH", "Order Time:"): under the postcode it is no address line.
_LABEL = re.compile(r"[A-Za-z]\s?:")


# A country is the last part of an address ("50450 Kuala Lumpur, Malaysia").
_COUNTRY = re.compile(r"(?:MALAYSIA|SINGAPORE|INDONESIA|THAILAND|BRUNEI(?:DARUSSALAM)?)$")


def merchant_address(lines: list[str], name_index: int | None) -> str | None:
    """The lines after the name up to a contact, id, date or amount line, joined with ", ".

    Lines with no number above a registration id ("SINAR MART", "(1234567-P)") belong to
    the name, not the address. Under the postcode line the address may go on (the
    state, the outlet) but ends at a labelled field, and a country ends it. A name printed
    under its address (a legal name below the shop's header) has no postcode after it: the
    address is then the lines above it, when they hold one. With no name (a logo), the address
    begins at the first street line of the header.
    """
    if name_index is None:
        streets = [index for index, line in enumerate(lines[:_ADDRESS_LINES]) if is_street(line)]
        if not streets:
            return None
        return ", ".join(_address_in(lines[streets[0] : streets[0] + _ADDRESS_LINES])) or None
    after = _address_in(lines[name_index + 1 : name_index + 1 + _ADDRESS_LINES])
    if not _has_postcode(after) and name_index > 0:
        before = _address_in(lines[max(0, name_index - _ADDRESS_LINES) : name_index])
        if _has_postcode(before):
            return ", ".join(before)
    return ", ".join(after) or None


def _address_in(lines: list[str]) -> list[str]:
    """The address lines among these, from the first: see merchant_address."""
    address: list[str] = []
    for line in lines:
        if amounts_in(line) or LEGAL_SUFFIX.search(line.upper()):
            break
        if is_registration(line) and not any(re.search(r"\d", part) for part in address):
            address = []
            continue
        if _not_address(line):
            if address:
                break
            continue
        if _has_postcode(address) and _LABEL.search(line):
            break
        address.append(corrected_words(fix_digit_letter_confusion(line.strip(" ,"))))
        if _COUNTRY.search(letters(line)):
            break
    return from_first_number(address)


def _has_postcode(address: list[str]) -> bool:
    return any(_POSTCODE.search(part) for part in address)


def _not_address(line: str) -> bool:
    """A contact, id or affiliation line, or a scribble: no part of the address."""
    is_other = is_registration(line) or ends_header(line) or AFFILIATION.match(line.upper())
    return bool(is_other) or is_scribble(line)


def from_first_number(address: list[str]) -> list[str]:
    """The address from its first line with a number: lines above it name the outlet."""
    numbered = [index for index, line in enumerate(address) if re.search(r"\d", line)]
    return address[numbered[0] :] if numbered else address
