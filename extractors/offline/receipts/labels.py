"""The labels of amount lines, fuzzy as OCR reads them: totals, tax, tender and change."""

import re

# Fuzzy "TOTAL" on a line's letters: TOTAL, TOTAI, TATAL, TOTEL, TOTSL, TTL...
TOTAL = r"(?:T[O0AE]T[A-Z]?[LI]|T[O0]TA|TTL)"


SUBTOTAL = re.compile(r"SUB" + TOTAL)


FINAL_TOTAL = re.compile(
    r"NETT?" + TOTAL + r"|GRAND" + TOTAL + r"|" + TOTAL + r".*PAYABLE|AMOUNTDUE|AMTDUE|"
    r"^DUE|TOTALDUE|BALANCEDUE|ATFRND|AFTERROUND"
)


ROUNDING = re.compile(r"ROUN|ROUR|RND")


# A tax line that mentions the total: "GST @6% included in total", "(Total Included GST 0.85)".
TAX_INCLUDED = re.compile(r"INCLUDED|INCLUDES")


EXCLUDING = re.compile(r"EX[CO]L|EXCLUSIVE|BEFORETAX|BEFOREGST")


NOT_A_TOTAL = re.compile(r"QTY|QUANTITY|POINT|SAVING|DISC|SUMMARY")


# A tax line names its tax first or last ("Total GST", "6% GST"), not inside a word ("H/VATER").
TAX_LABEL = re.compile(r"^(?:TOTAL|GOV)?(?:GST|SST|VAT|TAX)|(?:GST|SST|VAT|TAX)(?:PAYABLE|AMT)?$")


# Not a total: the tax alone ("Total GST 5.27"), unlike "Total Sales incl. GST".
TAX_ONLY = re.compile(r"^(?:TOTAL)?(?:GST|SST|VAT|TAX)")


# The change given back ("Balance" on some tills; but "Balance Due" is the amount to pay).
CHANGE = re.compile(r"CH[A-Z]?[AN]NG|CHANG|HANGE|BALANCE(?!DUE)")


TENDER = re.compile(
    r"CASH|TENDER|PAID|PAYMENT|RECEIVED|ACCEPTED|VISA|MASTER|CARD|CREDIT|DEBIT|AMEX"
)


# Where the tax summary table starts: its "Total" row is not the receipt's total. Its title, or
# its column heads when the title was not read ("Amt (RM) Tax(RM)").
SUMMARY = re.compile(r"S[UO][MNS]{1,3}[AEI]?[AE]?RY|SUMMA|ANALYSIS|AM(?:OUN)?TRMTAXRM")
