"""Receipt fields found by rules in OCR text, for the offline engine (RapidOCR has no schema).

The text is what the recogniser read, one printed line per text line, in reading order. It is
noisy: spaces between words are often dropped ("TAMANDAYA", a time glued to the year in
"25/12/20188:13:39PM"), letters are confused ("TOTAI", "NettTatal", "RMO.02"), and some lines
are junk (handwriting, stamps). So the rules match labels on the line's letters alone, with the
spaces and punctuation removed, and tolerate the usual confusions.

* Total: the amount on a line labelled as a total, by precedence: a rounded / net / grand
  total or an amount payable or due, then a total (incl. tax), then a subtotal. Among lines of
  the same precedence the last one wins, because receipts print the running totals in order
  and the tax summary table that follows them is cut off. Lines about the tender (cash, card,
  paid) and the change never give the total. When a label's amount sits alone on the next line
  it is taken. Two columns read as one line ("TOTAL ROUNDED CASH 19.40 50.00") are split, label
  by label, amount by amount. A total within a rounding step of the amount actually paid
  (tendered minus change) gives way to it: the paid amount is the rounded total. Without a
  total label: tendered minus change, then the subtotal, then the largest amount printed twice.
* Date: one on a line labelled as a date first, else the first one in the text; numeric dates
  are day first (the receipts are Malaysian) and must be valid calendar dates. A time glued to
  the year is split off, and the leftover digits start the time.
* Merchant: within the header (above the first phone, tax id, date or invoice line), the first
  line with a legal suffix (SDN BHD, BHD, S/B, LTD...), else the first with a trade word
  (RESTAURANT, TRADING, ENTERPRISE...), else the first line that is not junk; the name is cut
  after its suffix so the registration number that often follows is dropped.
* Address: the lines after the merchant's name up to the next phone, tax id, registration,
  date or amount line, joined with ", ".
"""

import datetime as dt
import itertools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")


# Malaysian cash rounding goes to the nearest 0.05, so an adjustment is always below this.
ROUNDING_STEP = Decimal("0.10")


# Receipts are from the years of electronic tills: earlier "dates" are part numbers misread.
PLAUSIBLE_YEARS = range(1990, 2070)


MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


# An amount with exactly two decimals (a comma counts as the decimal mark when followed by
# two digits: "79,60"), with an optional currency prefix and sign. Not part of a date, a time
# or a longer number: "25.12.2018", "11:47.00" and "7.3915" are not amounts.
_AMOUNT = re.compile(
    r"(?<![\d.,:/])(?P<sign>-)?\s?(?:RM|MYR|S?\$|€|£)?\s?(?P<sign2>-)?"
    r"(?:(?P<int>\d{1,3}(?:,\d{3})+|\d+)[.,]|(?<=[\sM$])\.)(?P<dec>\d{2})(?![\d%]|[.,/:]\d)"
)


# "RMO.02", "$O.50", " O.17": a letter O where a zero belongs, before the decimal point.
_O_FOR_ZERO = re.compile(r"(?:(?<=RM)|(?<=[$\s:]))O(?=[.,]\d\d)")


# Fuzzy "TOTAL" on a line's letters: TOTAL, TOTAI, TATAL, TOTEL, TOTSL, TTL...
_TOTAL = r"(?:T[O0AE]T[A-Z]?[LI]|T[O0]TA|TTL)"


_SUBTOTAL = re.compile(r"SUB" + _TOTAL)


_FINAL_TOTAL = re.compile(
    r"NETT?" + _TOTAL + r"|GRAND" + _TOTAL + r"|" + _TOTAL + r".*PAYABLE|AMOUNTDUE|AMTDUE|"
    r"^DUE|TOTALDUE|BALANCEDUE|ATFRND|AFTERROUND"
)


_ROUNDING = re.compile(r"ROUN|ROUR|RND")


# A tax line that mentions the total: "GST @6% included in total", "(Total Included GST 0.85)".
_TAX_INCLUDED = re.compile(r"INCLUDED|INCLUDES")


_EXCLUDING = re.compile(r"EX[CO]L|EXCLUSIVE|BEFORETAX|BEFOREGST")


_NOT_A_TOTAL = re.compile(r"QTY|QUANTITY|POINT|SAVING|DISC|SUMMARY")


# A tax line names its tax first or last ("Total GST", "6% GST"), not inside a word ("H/VATER").
_TAX_LABEL = re.compile(r"^(?:TOTAL|GOV)?(?:GST|SST|VAT|TAX)|(?:GST|SST|VAT|TAX)(?:PAYABLE|AMT)?$")


# Not a total: the tax alone ("Total GST 5.27"), unlike "Total Sales incl. GST".
_TAX_ONLY = re.compile(r"^(?:TOTAL)?(?:GST|SST|VAT|TAX)")


# The change given back ("Balance" on some tills; but "Balance Due" is the amount to pay).
_CHANGE = re.compile(r"CH[A-Z]?[AN]NG|CHANG|HANGE|BALANCE(?!DUE)")


_TENDER = re.compile(
    r"CASH|TENDER|PAID|PAYMENT|RECEIVED|ACCEPTED|VISA|MASTER|CARD|CREDIT|DEBIT|AMEX"
)


# Where the tax summary table starts: its "Total" row is not the receipt's total.
_SUMMARY = re.compile(r"S[UO][MNS]{1,3}[AEI]?[AE]?RY|SUMMA|ANALYSIS")


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


_NUMERIC_DATE = re.compile(
    r"(?:(?<![\dA-Z])|(?<=DATE))(?P<day>\d{1,2})\s?(?P<sep>[/.-])\s?(?P<month>\d{1,2})\s?"
    r"(?P=sep)\s?(?P<year>\d{2,6})"
)


_NAMED_DATE = re.compile(
    r"(?:(?<![\dA-Z])|(?<=DATE))(?P<day>\d{1,2})\s?[/.-]?\s?(?P<month>[A-Z]{3,9})\s?[/.,-]?\s?"
    r"(?P<year>\d{2,6})(?![.,]\d)"  # not a quantity and price: "2 SET 10.00"
)


_ISO_DATE = re.compile(
    r"(?<!\d)(?P<year>\d{4})(?P<sep>[/.-])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})(?!\d)"
)


# A compact ddmmyyyy right before a time, as receipt footers print it: "...17062019 09:05:44".
_COMPACT_DATE = re.compile(r"(?P<day>\d{2})(?P<month>\d{2})(?P<year>\d{4})\s(?=\d{1,2}:\d{2})")


_MERIDIEM = r"(?:\s?(?P<meridiem>[AP])[MHK](?![A-Z]))?"  # PM misread as PH or PK


# A time anywhere: HH:MM[:SS], not inside a longer number ("N0:000123" is not 0:00).
_TIME = re.compile(
    r"(?<![\dA-Z/.-])(?P<hour>\d{1,2}):(?P<minute>\d{2})(?!\d)(?::(?P<second>\d{2})(?!\d))?"
    + _MERIDIEM
)


# Right after a date, or on a line labelled as a time, a dot also separates ("07.55:31").
_NEAR_TIME = re.compile(
    r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<second>\d{2}))?" + _MERIDIEM
)


_AFTER_DATE = re.compile(r"\s{0,3}[-@#,]?\s?" + _NEAR_TIME.pattern)


@dataclass(frozen=True)
class Amount:
    """An amount read from the text, with the labels of the line (or column) it was printed on."""

    index: int
    label: str
    value: Decimal


def receipt_fields(text: str) -> dict[str, Any]:
    """The receipt schema's fields found in a receipt's OCR text; None where nothing was found."""
    lines = clean_lines(text)
    everywhere = labelled_amounts(lines)
    amounts = before_summary(everywhere, lines)
    name_index = merchant_line(lines)
    purchase_date, purchase_time = date_and_time(lines)
    return {
        "merchant_name": None if name_index is None else merchant_name(lines, name_index),
        "merchant_address": None if name_index is None else merchant_address(lines, name_index),
        "date": None if purchase_date is None else purchase_date.isoformat(),
        "time": purchase_time,
        "currency": currency(text),
        "subtotal": subtotal(amounts),
        "tax": tax(amounts),
        "total": total(amounts, everywhere),
        "payment_method": payment_method(amounts),
        "line_items": [],
    }


def clean_lines(text: str) -> list[str]:
    """The non-empty lines, with full-width forms ("：", "（") folded to ASCII (NFKC)."""
    folded = unicodedata.normalize("NFKC", text)
    return [line.strip() for line in folded.splitlines() if line.strip()]


def letters(line: str) -> str:
    """The line's letters only, uppercased: labels match however OCR spaced them."""
    return re.sub(r"[^A-Z]", "", line.upper())


def amounts_in(line: str) -> list[Decimal]:
    """Every amount with two decimals on a line, in order."""
    fixed = _O_FOR_ZERO.sub("0", line.upper())
    found = []
    for match in _AMOUNT.finditer(fixed):
        whole = (match["int"] or "0").replace(",", "")
        value = Decimal(f"{whole}.{match['dec']}")
        negative = match["sign"] or match["sign2"] or _in_parentheses(fixed, match)
        found.append(-value if negative else value)
    return found


def _in_parentheses(line: str, match: re.Match[str]) -> bool:
    """Accounting style negatives: "(0.02)"."""
    return line[: match.start()].rstrip().endswith("(") and line[match.end() :].startswith(")")


def is_amount_only(line: str) -> bool:
    """A line holding just an amount (maybe with its currency): the value of the label above."""
    rest = _AMOUNT.sub("", _O_FOR_ZERO.sub("0", line.upper()))
    return bool(amounts_in(line)) and not re.sub(r"RM|MYR|[^A-Z]", "", rest)


def labelled_amounts(lines: list[str]) -> list[Amount]:
    """Each amount with its label; a label alone on its line takes the next line's amount."""
    found: list[Amount] = []
    for index, line in enumerate(lines):
        values = amounts_in(line)
        label = letters(line)
        if not values and index + 1 < len(lines) and is_amount_only(lines[index + 1]):
            values = amounts_in(lines[index + 1])[-1:]
        found.extend(Amount(index, part, value) for part, value in split_columns(label, values))
    return found


def split_columns(label: str, values: list[Decimal]) -> list[tuple[str, Decimal]]:
    """(label, amount) pairs of a line; two columns read as one line are paired in order.

    "TOTAL ROUNDED CASH 19.40 50.00" is a total and a tender; "CHANGE CASH 30.60 50.00" a change
    and a tender. When the kinds of label and the amounts are as many, they pair up in order;
    otherwise the line's label goes with its last amount.
    """
    if not values:
        return []
    kinds = _label_kinds(label)
    if len(values) >= 2 and len(kinds) == len(values):
        return list(zip(kinds, values, strict=True))
    return [(label, values[-1])]


def _label_kinds(label: str) -> list[str]:
    """The label split where its kind changes (total, tender, change), in order of print."""
    starts = []
    for pattern in (re.compile(_TOTAL), _TENDER, _CHANGE):
        match = pattern.search(label)
        if match:
            starts.append(match.start())
    starts.sort()
    if len(starts) < 2:
        return [label]
    bounds = [0, *starts[1:], len(label)]
    return [label[start:end] for start, end in itertools.pairwise(bounds)]


def total_rank(amount: Amount) -> int:
    """How final a labelled amount is: 3 rounded/net/payable, 2 total, 1 subtotal, 0 none."""
    label = amount.label
    if _CHANGE.search(label) or _TENDER.search(label) or _TAX_INCLUDED.search(label):
        return 0
    if _ROUNDING.search(label):
        # "Rounding 0.02" is the adjustment; "Rounding 12.35", "Rounded Total" the result.
        return 3 if abs(amount.value) >= ROUNDING_STEP else 0
    if _SUBTOTAL.search(label):
        return 1
    if _EXCLUDING.search(label) or _NOT_A_TOTAL.search(label) or _TAX_ONLY.search(label):
        return 0
    if _FINAL_TOTAL.search(label):
        return 3
    return 2 if re.search(_TOTAL, label) else 0


def before_summary(amounts: list[Amount], lines: list[str]) -> list[Amount]:
    """The amounts above the tax summary table, whose own "Total" row is not the total."""
    for index, line in enumerate(lines):
        above = [a for a in amounts if a.index < index]
        if _SUMMARY.search(letters(line)) and any(total_rank(a) >= 2 for a in above):
            return above
    return amounts


def total(amounts: list[Amount], everywhere: list[Amount]) -> Decimal | None:
    """The amount paid: the most final labelled total, checked against tendered minus change.

    `amounts` are those above the tax summary, `everywhere` all of them (for the fallback).
    """
    candidates = [a for a in amounts if total_rank(a) >= 2 and a.value > 0]
    paid = tendered_minus_change(amounts)
    if candidates:
        best = max(candidates, key=lambda a: (total_rank(a), a.index))
        near_paid = paid is not None and abs(best.value - paid) < ROUNDING_STEP / 2
        return _cents(paid if near_paid and paid is not None else best.value)
    fallback = paid or subtotal(amounts) or largest_repeated(everywhere)
    return None if fallback is None else _cents(fallback)


def tendered_minus_change(amounts: list[Amount]) -> Decimal | None:
    """What the customer actually paid, when both the tender and the change are printed."""
    change = [a.value for a in amounts if _CHANGE.search(a.label)]
    tendered = [a.value for a in amounts if _TENDER.search(a.label) and not _CHANGE.search(a.label)]
    if not change or not tendered:
        return None
    paid = abs(tendered[0]) - abs(change[0])
    return paid if paid > 0 else None


def largest_repeated(amounts: list[Amount]) -> Decimal | None:
    """The largest amount printed more than once: the total is repeated by the tender lines."""
    values = [a.value for a in amounts if a.value > 0]
    repeated = [value for value in set(values) if values.count(value) > 1]
    return max(repeated) if repeated else None


def subtotal(amounts: list[Amount]) -> Decimal | None:
    """The first subtotal, or total before tax."""
    for amount in amounts:
        label = amount.label
        if _SUBTOTAL.search(label) or (re.search(_TOTAL, label) and _EXCLUDING.search(label)):
            return _cents(amount.value)
    return None


def tax(amounts: list[Amount]) -> Decimal | None:
    """The first tax amount: "GST 6% 1.26", "Total GST: 5.27", "GST Payable: 3.71"."""
    for amount in amounts:
        label = amount.label
        # Labels start or end with the tax's name; inside a word ("H/VATER") it is not a tax.
        is_tax = _TAX_LABEL.search(label) and not _EXCLUDING.search(label)
        is_other = re.search(r"ID|NO|REG|INVOICE|INCL(?!UDED)|TAXABLE|SUMMARY", label)
        if is_tax and not is_other and total_rank(amount) == 0:
            return _cents(amount.value)
    return None


def payment_method(amounts: list[Amount]) -> str | None:
    """Card when a card line carries an amount, else cash when a cash line does."""
    labels = [a.label for a in amounts]
    if any(re.search(r"VISA|MASTER|CARD|CREDIT|DEBIT|AMEX", label) for label in labels):
        return "card"
    if any(re.search(r"CASH(?!IER)", label) and not _CHANGE.search(label) for label in labels):
        return "cash"
    return None


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def currency(text: str) -> str | None:
    """The ISO 4217 code of the currency sign printed most specifically."""
    upper = text.upper()
    if "S$" in upper or "SGD" in upper:
        return "SGD"
    if re.search(r"(?<![A-Z])(?:RM|MYR)(?![A-Z])", upper):
        return "MYR"
    for sign, code in (("€", "EUR"), ("£", "GBP"), ("$", "USD")):
        if sign in text or code in upper:
            return code
    return None


def date_and_time(lines: list[str]) -> tuple[dt.date | None, str | None]:
    """The purchase date and its time: from a line labelled as a date first, and with month
    names read exactly before any read with a misread letter."""
    labelled = [line for line in lines if re.search(r"D[A-Z]TE|DAT[A-Z]", letters(line))]
    for fuzzy, line in itertools.product((False, True), [*labelled, *lines]):
        found = date_in(line.upper(), fuzzy)
        if found:
            day, after = found
            return day, time_after_date(after) or time_in([line]) or time_in(lines)
    for line in lines:
        compact = _COMPACT_DATE.search(line)
        footer_day = compact and valid_date(compact["year"], compact["month"], compact["day"])
        if compact and footer_day:
            return footer_day, time_in([line[compact.end() :]])
    return None, time_in(lines)


def date_in(line: str, fuzzy: bool = True) -> tuple[dt.date, str] | None:
    """The first valid date on a line, and the text after it: digits glued to the year, then
    the rest of the line (where the time is usually printed)."""
    for pattern in (_NUMERIC_DATE, _NAMED_DATE):
        for match in pattern.finditer(line):
            name = match["month"]
            year, glued = split_year(match["year"])
            if name.isdigit():
                day = day_first_date(year, match["day"], name)
            else:
                month = month_number(name, fuzzy)
                day = valid_date(year, month, match["day"]) if month else None
            if day and day.year in PLAUSIBLE_YEARS:
                return day, glued + line[match.end() :]
    for match in _ISO_DATE.finditer(line):
        day = valid_date(match["year"], match["month"], match["day"])
        if day and day.year in PLAUSIBLE_YEARS:
            return day, line[match.end() :]
    return None


def split_year(digits: str) -> tuple[str, str]:
    """The year and the digits glued after it: "20188" is 2018 then 8, "1821" is 18 then 21."""
    if len(digits) >= 4 and 1990 <= int(digits[:4]) <= 2069:
        return digits[:4], digits[4:]
    return digits[:2], digits[2:]


def month_number(name: str, fuzzy: bool = True) -> str | None:
    """A month's number from its name; if fuzzy, with one misread letter ("Mer" for MAR)."""
    prefix = name[:3]
    if prefix in MONTHS:
        return str(MONTHS.index(prefix) + 1)
    if not fuzzy or len(name) != 3:
        return None
    close = [m for m in MONTHS if sum(a != b for a, b in zip(m, prefix, strict=True)) == 1]
    return str(MONTHS.index(close[0]) + 1) if len(close) == 1 else None


def day_first_date(year: str, first: str, second: str) -> dt.date | None:
    """A numeric date read day first (the receipts are Malaysian); month first only when day
    first is impossible and month first is not ("03/15/2019")."""
    return valid_date(year, second, first) or valid_date(year, first, second)


def valid_date(year: str, month: str, day: str) -> dt.date | None:
    """A calendar date, two-digit years 00-69 in the 2000s and 70-99 in the 1900s."""
    full_year = int(year)
    if len(year) == 2:
        full_year += 2000 if full_year < 70 else 1900
    try:
        return dt.date(full_year, int(month), int(day))
    except ValueError:
        return None


def time_after_date(after: str) -> str | None:
    """The time printed right after a date: "8:13:39PM" left from "20188:13:39PM"."""
    match = _AFTER_DATE.match(after)
    return clock(match) if match else None


def time_in(lines: list[str]) -> str | None:
    """A time on a line labelled as a time first, else the first HH:MM in the lines."""
    labelled = [line for line in lines if re.search(r"T[I1L]ME", letters(line))]
    for pattern, candidates in ((_NEAR_TIME, labelled), (_TIME, lines)):
        for line in candidates:
            for match in pattern.finditer(line.upper()):
                found = clock(match)
                if found:
                    return found
    return None


def clock(match: re.Match[str]) -> str | None:
    """A matched time as 24-hour "HH:MM[:SS]", or None when it is not a time of day."""
    h, m, second = int(match["hour"]), int(match["minute"]), match["second"]
    if match["meridiem"] == "P" and h < 12:
        h += 12
    elif match["meridiem"] == "A" and h == 12:
        h = 0
    if h > 23 or m > 59 or (second is not None and int(second) > 59):
        return None
    return f"{h:02d}:{m:02d}" + ("" if second is None else f":{second}")


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
        or re.search(r"\d{5,}-[A-Z]\b", upper)  # a registration number inside the line
        or re.fullmatch(r"[A-Z .#]{1,12}:\s*\d+", upper)  # "Site:1046", "Store: 12"
    )


def ends_header(line: str) -> bool:
    """Contact, id and document lines that follow the merchant's name and address."""
    upper = line.upper()
    digits = re.sub(r"[\s-]", "", line)
    return bool(_HEADER_END.search(upper) or _LONG_NUMBER.search(digits) or date_in(upper))


def merchant_line(lines: list[str]) -> int | None:
    """The index of the merchant's name: legal suffix, else trade word, else first in header."""
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
