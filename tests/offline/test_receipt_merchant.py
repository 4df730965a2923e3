"""The merchant's name and address found in made-up receipt headers, read as RapidOCR reads them:
legal forms split or glued by the spacing, a logo and a title above the name, misread letters
in the address, the contact lines and footers that follow it."""

import pytest

from extractors.offline.receipts.address_words import corrected_words
from extractors.offline.receipts.confusions import fix_digit_letter_confusion
from extractors.offline.receipts.fields import receipt_fields


def _merchant(text: str) -> tuple[str | None, str | None]:
    fields = receipt_fields(text)
    return fields["merchant_name"], fields["merchant_address"]


@pytest.mark.parametrize(
    ("header", "name"),
    [
        # The spacing splits the legal form; the registration after it is dropped.
        ("ME RPATI RO TI(JB)SDN BH D(123456 X)", "ME RPATI RO TI(JB)SDN BH D"),
        ("KEDAI RIA SDN B HD", "KEDAI RIA SDN B HD"),
        ("KEDAI RIA SDNBHD", "KEDAI RIA SDNBHD"),
        # The S of S/B read as 5, as the recogniser reads S as 5 elsewhere.
        ("77 MINI MART 5/B (500000-X)", "77 MINI MART S/B"),
    ],
)
def test_a_split_sdn_bhd_or_a_misread_s_b_ends_the_name(header: str, name: str) -> None:
    text = f"{header}\nLot 9, Jalan Besar 2/1,\n40000 Shah Alam, Selangor.\nTel:03-5500000\n"
    assert _merchant(text) == (name, "Lot 9, Jalan Besar 2/1, 40000 Shah Alam, Selangor.")


def test_the_legal_name_under_a_logo_and_a_title_is_the_name() -> None:
    # A logo, a brand and the document title stand above the name.
    text = (
        "LRX\nmetrolinex\nTAXINVOICE\nMETRO LINK SDN BHD\nNo.7 JALAN MERAH 3\n"
        "BANDAR HIJAU SELANGOR 47000\nGST Reg.No:001200000000\nDate: 01/02/2018\nTotal 5.00\n"
    )
    address = "No.7 JALAN MERAH 3, BANDAR HIJAU SELANGOR 47000"
    assert _merchant(text) == ("METRO LINK SDN BHD", address)


def test_a_glued_bhd_ends_a_name_but_not_inside_a_word() -> None:
    assert _merchant("TIMUR JAYA BHD\nNo 2, Jalan Satu\nTel:03-1234567\n")[0] == "TIMUR JAYA BHD"
    assert _merchant("BHDX MART\nNo 2, Jalan Satu\nTel:03-1234567\n")[0] == "BHDX MART"


def test_a_name_over_three_lines_is_joined() -> None:
    # The bracket opened on the second line closes on the third; the second begins with a
    # trade word, so the first line is part of the name too.
    text = (
        "TUAN HUAT HARDWARE\nENTERPRISE (SETIA\nALAM) SDN BHD\n800000-X\n"
        "NO. 17-G, JALAN RIA, 40170 SHAH ALAM\nTEL: 012-6650000\n"
    )
    name, address = _merchant(text)
    assert name == "TUAN HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD"
    assert address == "NO. 17-G, JALAN RIA, 40170 SHAH ALAM"


def test_name_lines_above_a_registration_are_not_the_address() -> None:
    # A garbled logo is read first; the shop's name and its id come before the address.
    text = (
        "Xq. bRoml\nS I N A R MART\n(1234567-P)\nG.5 & G.6, Plaza Ria,\n"
        "No.2 Jalan Dua 3/1,46000 PJ, Selangor.\nTel/Fax:603-7000 0000\n"
    )
    address = _merchant(text)[1]
    assert address == "G.5 & G.6, Plaza Ria, No.2 Jalan Dua 3/1,46000 PJ, Selangor."


def test_the_address_ends_at_a_labelled_line_under_its_postcode() -> None:
    text = (
        "PIZZA CORNER\nGST REF NO:001000000000\nB-12, Jalan Lima 2/7\nTaman Harmoni\n"
        "52000 Kuala Lumpur\nDINE IN Pay By: CASH\nOrder Time:12:00:00 Date:01/03/18\n"
    )
    assert _merchant(text)[1] == "B-12, Jalan Lima 2/7, Taman Harmoni, 52000 Kuala Lumpur"


def test_a_labelled_line_above_the_postcode_may_be_the_address() -> None:
    text = "SUSHI RIA SDN. BHD.\nNO:3-1 FIRST FLOOR,\n43000 KAJANG SELANGOR.\n(GST No:0013)\n"
    assert _merchant(text)[1] == "NO:3-1 FIRST FLOOR, 43000 KAJANG SELANGOR."


def test_a_country_ends_the_address() -> None:
    text = (
        "BUKU RIA SDN BHD\nNo 4, Jalan 9/10A, Taman Seri\n50000 Kuala Lumpur, Malays ia\n"
        "CITY POINT MALL\nTel:03-4000000\n"
    )
    assert _merchant(text)[1] == "No 4, Jalan 9/10A, Taman Seri, 50000 Kuala Lumpur, Malays ia"


def test_the_outlet_line_under_the_postcode_stays_in_the_address() -> None:
    text = "77 MINI MART S/B (500000-X)\nLOT 12, JALAN MERPATI\n41000 KLANG, SELANGOR\n1001-TMN RIA"
    address = _merchant(text + "\nGST ID. NO:000100000000\n")[1]
    assert address == "LOT 12, JALAN MERPATI, 41000 KLANG, SELANGOR, 1001-TMN RIA"


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("LOT P.T.45I2, JALAN", "LOT P.T.4512, JALAN"),
        ("1S07-TMN RIA", "1507-TMN RIA"),
        ("40000 Shah Alam,5elangor D.E", "40000 Shah Alam,Selangor D.E"),
        ("L0T 12-A, 4100O", "LOT 12-A, 41000"),
        ("No.3, Ja1an Dua", "No.3, Jalan Dua"),
        ("SS15/4B, U13/X, 5-7", "SS15/4B, U13/X, 5-7"),  # letters beside digits, no confusion
        ("BLOCK B1234 JALAN RIA, B1234,", "BLOCK B1234 JALAN RIA, B1234,"),  # units, no town
    ],
)
def test_digits_and_letters_confused_by_the_recogniser(read: str, meant: str) -> None:
    assert fix_digit_letter_confusion(read) == meant


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("41000 KLANG SLANGOR", "41000 KLANG SELANGOR"),
        ("Henara Ria #01-02, Leve1 3,", "Menara Ria #01-02, Level 3,"),
        ("JALON MERAH, MUKIN BATU", "JALAN MERAH, MUKIM BATU"),
        ("KAWASAN PERINDUSTRIANE", "KAWASAN PERINDUSTRIAN"),
        ("81200 Johor Bahtu, Johor", "81200 Johor Bahru, Johor"),
        ("47500 Subang, Selengor D.E.", "47500 Subang, Selangor D.E."),  # D. abbreviates
        ("4243, Compleks Ria", "4243, Compleks Ria"),  # a spelling of its own, not KOMPLEKS
        # Left as read: words the spacing split, short words, place names, exact words.
        ("50000 KUAL A LUMPUR", "50000 KUAL A LUMPUR"),
        ("50000 Kuala Lumpur, M alaysia", "50000 Kuala Lumpur, M alaysia"),
        ("40000 Shah Alan", "40000 Shah Alan"),
        ("TAMAN RAYA, BUKIT UTARA, ENDAH PARADE", "TAMAN RAYA, BUKIT UTARA, ENDAH PARADE"),
        ("Level 16, Leve16", "Level 16, Leve16"),
    ],
)
def test_misread_address_words_are_spelt_right(read: str, meant: str) -> None:
    assert corrected_words(read) == meant


def test_a_logo_that_went_unread_leaves_no_name_and_the_address_is_still_found() -> None:
    # The logo is read as marks; the street line under it is no merchant's name.
    text = (
        "S97) S  -)\nLOT P.T. 2811, JALAN ANGSA,\nTAMAN BERKELEY\n41150 KLANG,SELANGOR\n"
        "GST ID. NO: 000181747712\n04-06-18 05:36PM\nTotal Sales RM 23.40\n"
    )
    address = "LOT P.T. 2811, JALAN ANGSA, TAMAN BERKELEY, 41150 KLANG,SELANGOR"
    assert _merchant(text) == (None, address)
