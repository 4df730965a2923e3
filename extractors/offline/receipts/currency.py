"""A receipt's currency, from what it prints: a code, a sign of one currency, its country.

The rule, in order; the same evidence always gives the same answer:

1. An ISO 4217 code printed as a word (`MYR`, `SGD`, `USD`, `EUR`...), or a sign of one
   currency only: `RM` (ringgit), `S$`, `US$`, `A$`, `C$`, `HK$`, `NZ$`.
2. The merchant's country, when the receipt names it (`MALAYSIA`, a Malaysian state such as
   `JOHOR`, `SINGAPORE`...): its till prints that country's money, whatever sign the
   recogniser saw (Malaysian tills print `$` for ringgit: the corpus's UNIHAKKA receipts).
3. `€` gives EUR and `£` GBP.
4. Else none. A `$` alone is the sign of a dozen dollars (and of ringgit on those tills): it
   names no currency, and guessing USD for it was wrong on every Malaysian receipt.

Codes and country names are matched as whole words: "EUR" inside a word is no euro.
"""

import re

# Signs and prefixes of one currency each; a longer prefix before its bare sign ("US$" is not
# read as a lone "$"). RM is a word of its own ("RM8.20", "RM 8.20", "TOTAL(RM)").
_PREFIXES = (
    (r"US\$", "USD"),
    (r"S\$", "SGD"),
    (r"A\$", "AUD"),
    (r"C\$", "CAD"),
    (r"HK\$", "HKD"),
    (r"NZ\$", "NZD"),
    (r"RM", "MYR"),
)
_CODES = ("MYR", "SGD", "USD", "EUR", "GBP", "AUD", "CAD", "HKD", "NZD", "IDR", "THB", "JPY")
_SIGNS = (("€", "EUR"), ("£", "GBP"))
# Countries named on receipts, with their currency. Malaysia by its name or a state's (the
# corpus's receipts name the state in the address far more often than the country).
_COUNTRIES = (
    (
        "MYR",
        "MALAYSIA|JOHOR|KELANTAN|MELAKA|MALACCA|NEGERI SEMBILAN|PAHANG|PENANG|PULAU PINANG|"
        "PERLIS|SARAWAK|SABAH|SELANGOR|TERENGGANU|KUALA LUMPUR|PUTRAJAYA|LABUAN",
    ),
    ("SGD", "SINGAPORE"),
    ("AUD", "AUSTRALIA"),
    ("NZD", "NEW ZEALAND"),
    ("HKD", "HONG KONG"),
    ("CAD", "CANADA"),
    ("USD", "USA|U\\.S\\.A\\.|UNITED STATES"),
)


def _word(pattern: str) -> re.Pattern[str]:
    """`pattern` not inside a longer word (digits may touch it: "RM8.20", "SGD12")."""
    return re.compile(rf"(?<![A-Z])(?:{pattern})(?![A-Z])")


_PREFIX_PATTERNS = tuple((_word(p), code) for p, code in _PREFIXES)
_CODE_PATTERN = _word("|".join(_CODES))
_COUNTRY_PATTERNS = tuple((code, _word(names)) for code, names in _COUNTRIES)


def currency(text: str) -> str | None:
    """The ISO 4217 code of the receipt's currency, by the rule above; None when it does not
    say."""
    upper = text.upper()
    return printed_currency(upper) or country_currency(upper) or _sign_currency(text)


def printed_currency(upper: str) -> str | None:
    """A currency's code or one-currency sign printed on the (uppercased) receipt; the first
    kind that is found, in the order of `_PREFIXES` then the codes."""
    for pattern, code in _PREFIX_PATTERNS:
        if pattern.search(upper):
            return code
    found = _CODE_PATTERN.search(upper)
    return found[0] if found else None


def country_currency(upper: str) -> str | None:
    """The currency of the country the (uppercased) receipt names, the first in the list."""
    return next((code for code, names in _COUNTRY_PATTERNS if names.search(upper)), None)


def _sign_currency(text: str) -> str | None:
    return next((code for sign, code in _SIGNS if sign in text), None)
