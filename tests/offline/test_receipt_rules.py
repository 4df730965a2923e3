"""Receipt fields found by rules in OCR text.

The receipts here are made up, written in the style of RapidOCR's output on Malaysian till
receipts: words run together, labels misread, junk lines from handwriting and stamps.
"""

import datetime as dt
from decimal import Decimal

import pytest

from extractors.offline.receipts.amounts import amounts_in
from extractors.offline.receipts.dates import date_and_time, month_number, split_year, valid_date
from extractors.offline.receipts.fields import receipt_fields
from extractors.offline.receipts.lines import clean_lines

# Glued date and time, a junk first line, a rounded total under the plain one, cash and change.
ROUNDED_TOTAL = """\
lim ok
KEDAIMAJUJAYA(TAMANINDAH)SDNBHD
123456-K
NO.12,JALANMAWAR3
TAMANINDAH
43000KAJANG,SELANGOR
TEL:03-87654321
GSTID:001234567890
Date: 14/02/20197:45:12PM
Cashier: AMIN
ITEM QTY RM
SABUNMANDI 2 3.50 7.00
BERUS GIGI 1 4.47 4.47
Total: 11.47
Rour dingAdjustment -0.02
RounddTotal(RM): 11.45
Cash 20.00
CHANGE 8.55
THANKYOU
"""

# "Total Incl. GST" under a subtotal, with cash and change below it and a tax summary whose own
# "Total" row comes last; a dd-mm-yy date with its time in the footer; a stamp on top.
TOTAL_INCL_GST = """\
2190517
SYARIKAT CAHAYA TERANG ENTERPRISE
(JM0123456-T)
LOT 5, JALAN PERUSAHAAN 2,
KAWASAN PERINDUSTRIAN SELATAN,
81200 JOHOR BAHRU, JOHOR
GST REG NO: 000123456789
TAX INVOICE
Doc No.: CS00012345
PAINT BRUSH 2" 2 X 6.50 13.00
MASKING TAPE 1 X 4.20 4.20
Sub Total (Excluding GST): 16.23
GST @6%: 0.97
Total Incl. GST @6% RM17.20
CASH RM50.00
CHANGE RM32.80
GST Summary Amount(RM) Tax(RM)
SR @ 6% 16.23 0.97
Total: 16.23 0.97
09-11-17 14:05 T2 R000012345
"""

# Dollar amounts, "S" read for "$", a "dd Mar yyyy" date glued to its time, a nett total.
DOLLAR_NETT_TOTAL = """\
HAPPY NOODLE HOUSE SDN BHD
19Apr201912:07
(554321-P)
12,JalanMelati5/2,Taman Bunga
43000Kajang,Selangor
TAXINVOICE
Invoice#:OR19050702110077
Item Qty Total
Fried Noodle 1 $5.80
Iced Tea 1 $1.90
Total Amount:$7.70
GST@6%:S0.44
NettTatal: S7.70
Payment Mode Amount
CASH $10.00
Change $2.30
"""

# The total's amount printed on the line below its label; date and time on labelled lines
# (a dot in the time); paid by card; no currency sign printed (its state says ringgit).
AMOUNT_ON_NEXT_LINE = """\
WELCOME
THE BREAD CORNER BAKERY
No. 8, Jalan Kenari 1,
Bandar Puchong Jaya,
47100 Puchong, Selangor
Tel: 03-8076 1234
Date : 05/06/18
Time : 9.42
Receipt No: 000123
Butter Bun 2 x 2.20 4.40
Cheese Tart 3 x 3.00 9.00
SUBTOTAL 13.40
SST 6% 0.80
GRAND TOTAL
14.20
VISA 14.20
"""

# Two columns read as one line: "TOTAL ROUNDED" and "CASH" with their two amounts.
MERGED_COLUMNS = """\
MR. HARDWARE (M) SDN BHD
(CO.REG:123456-A)
L0T 77, JALAN INDUSTRI 3,
4330O SERI KEMBANGAN, SELANGOR
(GST ID No: 000111222333)
-TAX INVOICE-
HAMMER 1X 12.50 12.50
NAILS 2X 3.46 6.92
Item(s):2 Qty(s):3
TOTAL RM19.42
ROUNDING ADJUSTMENT -RM0.02
TOTAL ROUNDED CASH RM19.40 RM50.00
CHANGE RM30.60
03-07-2016 16:20 SH01 T3 R000012345
"""

# No total label at all: the paid amount is what was tendered minus the change.
NO_TOTAL_LABEL = """\
PASAR MINI SEGAR TRADING
NO 3, JALAN PASAR, 52100 KUALA LUMPUR
H/P: 012-3456789
09/OCT/2019 17:12:05
SAYUR 2.40
IKAN 10.10
Paid RM20.00
Change RM7.50
"""


def _item(description: str, quantity: str, unit_price: str, amount: str) -> dict[str, object]:
    return {
        "description": description,
        "quantity": Decimal(quantity),
        "unit_price": Decimal(unit_price),
        "amount": Decimal(amount),
    }


def test_glued_date_and_time_rounded_total_and_junk_first_line() -> None:
    assert receipt_fields(ROUNDED_TOTAL) == {
        "merchant_name": "KEDAIMAJUJAYA(TAMANINDAH)SDNBHD",
        "merchant_address": "NO.12,JALANMAWAR3, TAMANINDAH, 43000KAJANG,SELANGOR",
        "date": "2019-02-14",
        "time": "19:45:12",
        "currency": "MYR",
        "subtotal": None,
        "tax": None,
        "total": Decimal("11.45"),
        "payment_method": "CASH",
        "line_items": [
            _item("SABUNMANDI", "2", "3.50", "7.00"),
            _item("BERUS GIGI", "1", "4.47", "4.47"),
        ],
    }


def test_total_incl_gst_beats_subtotal_cash_change_and_tax_summary() -> None:
    assert receipt_fields(TOTAL_INCL_GST) == {
        "merchant_name": "SYARIKAT CAHAYA TERANG ENTERPRISE",
        "merchant_address": (
            "LOT 5, JALAN PERUSAHAAN 2, KAWASAN PERINDUSTRIAN SELATAN, 81200 JOHOR BAHRU, JOHOR"
        ),
        "date": "2017-11-09",
        "time": "14:05",
        "currency": "MYR",
        "subtotal": Decimal("16.23"),
        "tax": Decimal("0.97"),
        "total": Decimal("17.20"),
        "payment_method": "CASH",
        "line_items": [
            _item('PAINT BRUSH 2"', "2", "6.50", "13.00"),
            _item("MASKING TAPE", "1", "4.20", "4.20"),
        ],
    }


def test_dollar_receipt_with_month_name_date_and_nett_total() -> None:
    assert receipt_fields(DOLLAR_NETT_TOTAL) == {
        "merchant_name": "HAPPY NOODLE HOUSE SDN BHD",
        "merchant_address": "12,JalanMelati5/2,Taman Bunga, 43000Kajang,Selangor",
        "date": "2019-04-19",
        "time": "12:07",
        "currency": "MYR",
        "subtotal": None,
        "tax": Decimal("0.44"),
        "total": Decimal("7.70"),
        "payment_method": "CASH",
        "line_items": [
            _item("Fried Noodle", "1", "5.80", "5.80"),
            _item("Iced Tea", "1", "1.90", "1.90"),
        ],
    }


def test_total_amount_on_the_next_line_and_card_payment() -> None:
    assert receipt_fields(AMOUNT_ON_NEXT_LINE) == {
        "merchant_name": "THE BREAD CORNER BAKERY",
        "merchant_address": "No. 8, Jalan Kenari 1, Bandar Puchong Jaya, 47100 Puchong, Selangor",
        "date": "2018-06-05",
        "time": "09:42",
        "currency": "MYR",
        "subtotal": Decimal("13.40"),
        "tax": Decimal("0.80"),
        "total": Decimal("14.20"),
        "payment_method": "VISA",
        "line_items": [
            _item("Butter Bun", "2", "2.20", "4.40"),
            _item("Cheese Tart", "3", "3.00", "9.00"),
        ],
    }


def test_columns_read_as_one_line_are_split_and_ocr_zeros_fixed() -> None:
    fields = receipt_fields(MERGED_COLUMNS)
    assert fields["total"] == Decimal("19.40")
    assert fields["merchant_name"] == "MR. HARDWARE (M) SDN BHD"
    assert fields["merchant_address"] == "LOT 77, JALAN INDUSTRI 3, 43300 SERI KEMBANGAN, SELANGOR"
    assert (fields["date"], fields["time"]) == ("2016-07-03", "16:20")
    assert fields["payment_method"] == "CASH"


def test_without_a_total_label_the_total_is_tendered_minus_change() -> None:
    fields = receipt_fields(NO_TOTAL_LABEL)
    assert fields["total"] == Decimal("12.50")
    assert fields["merchant_name"] == "PASAR MINI SEGAR TRADING"
    assert fields["merchant_address"] == "NO 3, JALAN PASAR, 52100 KUALA LUMPUR"
    assert (fields["date"], fields["time"]) == ("2019-10-09", "17:12:05")


def test_without_tender_the_total_is_the_largest_amount_printed_twice() -> None:
    text = "KEDAI ROTI\nCURRY PUFF 3 1.80 5.40\nSWISS ROLL 1 7.90 7.90\nQty 4 13.30\nPay 13.30\n"
    assert receipt_fields(text)["total"] == Decimal("13.30")


def test_rounding_after_the_total_gives_the_paid_amount() -> None:
    # The till prints the total before rounding; the customer paid the rounded amount.
    text = "SHOP SDN BHD\nSubtotal 40.10\nTotal: 47.62\nCash 50.00\nChange 2.40\n"
    assert receipt_fields(text)["total"] == Decimal("47.60")


def test_a_saving_glued_to_the_rounding_line_is_not_the_total() -> None:
    text = (
        "KEDAI RIA TRADING\nBREAD 1 7.00\nMILK 1 26.80\nPD -3.80\nSubTotal Incl GST 30.00\n"
        "Saving 3.80 Rounding 000\nTotal 30.00\nCash 50.00\nChange 20.00\n"
    )
    assert receipt_fields(text)["total"] == Decimal("30.00")


def test_the_tax_summary_starts_at_its_column_heads_when_its_title_is_unread() -> None:
    text = (
        "KEDAI RIA TRADING\nTotal Sales (Excluding GST): 7.50\nTotal GST 0.45\n"
        "Total Sales (Inclusive of GST) : 7.95\nCASH : 7.95\nI Amt (RM) Tax(RM)\n"
        "Total: 7.50 0.45\n"
    )
    assert receipt_fields(text)["total"] == Decimal("7.95")


def test_tax_included_in_the_total_is_the_tax_not_the_total() -> None:
    text = (
        "SHOP SDN BHD\nTotal Incl.GST@6% RM18.70\nCASH RM18.70\nGST @6% included in total RM1.06\n"
    )
    fields = receipt_fields(text)
    assert fields["total"] == Decimal("18.70")
    assert fields["tax"] == Decimal("1.06")


def test_empty_and_junk_text_give_no_fields() -> None:
    for text in ("", "\n\n", "lim ok\n2190517\n**"):
        fields = receipt_fields(text)
        assert fields["total"] is None
        assert fields["date"] is None
        assert fields["merchant_name"] is None
        assert fields["line_items"] == []


def test_currency_signs() -> None:
    def currency(text: str) -> str | None:
        return receipt_fields(text)["currency"]

    assert currency("TOTAL RM 5.00") == "MYR"
    assert currency("TOTAL MYR 5.00") == "MYR"
    assert currency("TOTAL S$5.00") == "SGD"
    assert currency("TOTAL $5.00") is None
    assert currency("TOTAL €5,00") == "EUR"
    assert currency("TOTAL £5.00") == "GBP"
    assert currency("PERMAS JAYA\nTOTAL 5.00") is None  # "RM" inside a word is not ringgit


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("TOTAL RM27.64", [Decimal("27.64")]),
        ("ROUNDING ADJUSTMENT -RM0.02", [Decimal("-0.02")]),
        ("Rounding RMO.02", [Decimal("0.02")]),  # O read for 0
        ("SUBTOTAL 64,30", [Decimal("64.30")]),  # decimal comma
        ("Grand 1,234.50", [Decimal("1234.50")]),
        ("RoundingAdjustment: (0.02)", [Decimal("-0.02")]),
        ("CHANGE RM .00", [Decimal("0.00")]),
        ("1X4.15 4.15", [Decimal("4.15"), Decimal("4.15")]),
        ("Date: 25.12.2018", []),
        ("Time 11:47.00", []),
        ("7.3915 litre", []),
        ("NO.14&16,JALAN MAJU 2/3", []),  # a street number is not ".32"
    ],
)
def test_amounts_in_a_line(line: str, expected: list[Decimal]) -> None:
    assert amounts_in(line) == expected


@pytest.mark.parametrize(
    ("text", "date", "time"),
    [
        ("Date: 03/11/20199:05:12PM", dt.date(2019, 11, 3), "21:05:12"),
        ("Date:14/06/1720:45", dt.date(2017, 6, 14), "20:45"),
        ("22-08-1611:07SH02KT01 T1", dt.date(2016, 8, 22), "11:07"),
        ("07Jan1908:30:15PM", dt.date(2019, 1, 7), "20:30:15"),
        ("15 Mer 201909:41", dt.date(2019, 3, 15), "09:41"),  # one misread letter
        ("28 Feb 1619:22:08", dt.date(2016, 2, 28), "19:22:08"),
        ("11-Sep-2019 [POS:07] 03:45:10PM", dt.date(2019, 9, 11), "15:45:10"),
        ("Date:21/05/2019-07.55:31", dt.date(2019, 5, 21), "07:55:31"),
        ("10:15PM 771234 08-04-19", dt.date(2019, 4, 8), "22:15"),
        ("2018-05-24 12:45", dt.date(2018, 5, 24), "12:45"),
        ("DATE 03/15/2019 10:02 AM", dt.date(2019, 3, 15), "10:02"),  # only month first is valid
        ("DATE 03/04/2019 12:02 AM", dt.date(2019, 4, 3), "00:02"),
        ("9912300417062019 09:05:44 0011", dt.date(2019, 6, 17), "09:05:44"),
    ],
)
def test_date_and_time_forms(text: str, date: dt.date, time: str) -> None:
    assert date_and_time(clean_lines(text)) == (date, time)


def test_a_date_on_a_labelled_line_wins_over_an_earlier_one() -> None:
    lines = clean_lines("Printed 01/01/2019\nInvoice 77\nDate: 02/03/2018\n")
    assert date_and_time(lines)[0] == dt.date(2018, 3, 2)


def test_part_numbers_and_invalid_dates_are_not_dates() -> None:
    lines = clean_lines("KB04-7-15\nZA06TT01-3-70\n31/02/2018\nN0:000123456712\n")
    assert date_and_time(lines) == (None, None)


def test_exact_month_names_win_over_misread_ones() -> None:
    lines = clean_lines("KEDAI BESI\n1 NOS 18 PCS\n05 MAR 2018\n")
    assert date_and_time(lines)[0] == dt.date(2018, 3, 5)


def test_quantity_and_price_are_not_a_date() -> None:
    assert date_and_time(clean_lines("2 SET 10.00\n")) == (None, None)


def test_date_helpers() -> None:
    assert split_year("20188") == ("2018", "8")
    assert split_year("1821") == ("18", "21")
    assert split_year("17") == ("17", "")
    assert month_number("MARCH") == "3"
    assert month_number("MER") == "3"
    assert month_number("XYZ") is None
    assert valid_date("18", "2", "29") is None
    assert valid_date("69", "1", "1") == dt.date(2069, 1, 1)
    assert valid_date("70", "1", "1") == dt.date(1970, 1, 1)


def test_legal_form_on_its_own_line_continues_the_name_above() -> None:
    text = "GEMILANGBOOK\ncO. (M) SDN BHD\n(Co.No.224466-W)\nNo 5,Jalan 3/21A\nTel:03-4455\n"
    fields = receipt_fields(text)
    assert fields["merchant_name"] == "GEMILANGBOOK cO. (M) SDN BHD"
    assert fields["merchant_address"] == "No 5,Jalan 3/21A"


def test_the_registration_after_the_legal_form_is_dropped() -> None:
    fields = receipt_fields("Sinar Harapan Marketing Sdn Bhd (701234-M)\nNo,7-G,Jalan Kiri\n")
    assert fields["merchant_name"] == "Sinar Harapan Marketing Sdn Bhd"


def test_outlet_name_above_the_address_is_not_part_of_it() -> None:
    text = "PERABOT INDAH SDN BHD\n(1098765K)\nPerabot Kepong\nNo 4B Jalan Ipoh\nTaman Sentosa\n"
    assert receipt_fields(text)["merchant_address"] == "No 4B Jalan Ipoh, Taman Sentosa"
