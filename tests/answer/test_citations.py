"""The citation lookup: a document's field values found among the words of a real PDF page."""

import datetime as dt
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Literal

import pymupdf
import pytest
from pydantic import BaseModel

from extractors.answer.citation_forms import amounts_in, dates_in, times_in
from extractors.answer.citation_words import PageWords, layer_words, ocr_words
from extractors.answer.citations import NOT_CHECKED, cite_fields
from extractors.records import Box, OcrLine, OcrPage, PageWord, RenderedImage, TextLayer
from schemas.receipt import Receipt
from schemas.text_layer import TextLayerVerdict

# (text, x, baseline y) of each printed line, in PDF points on an A6 page.
LINES = (
    ("KEDAI MAKAN ABC SDN. BHD.", 20, 30),
    ("NO 12, JALAN TAMAN DAYA,", 20, 45),
    ("81100 JOHOR BAHRU", 20, 58),
    ("Date: 27/03/2018   6:05 PM", 20, 80),
    ("TEA          2 x 3.50     7.00", 20, 100),
    ("MILO         1 x 3.50     3.50", 20, 115),
    ("TOTAL               RM 1,234.50", 20, 140),
    ("CASH                RM 1,300.00", 20, 155),
)


def receipt_page(path: Path) -> PageWords:
    """A small receipt drawn with PyMuPDF, its words read back as the text layer gives them."""
    document = pymupdf.open()
    page = document.new_page(width=298, height=420)
    for text, x, y in LINES:
        page.insert_text((x, y), text, fontsize=9, fontname="cour")
    document.save(path)
    words = tuple(
        PageWord(w[4], Box(w[0], w[1], w[2], w[3])) for w in document[0].get_text("words")
    )
    layer = TextLayer(TextLayerVerdict.USABLE, 100, 0.0, words=words)
    return layer_words(1, layer, (page.rect.width, page.rect.height))


def right_receipt(**changes: object) -> Receipt:
    values = {
        "merchant_name": "Kedai Makan ABC Sdn Bhd",
        "merchant_address": "No 12, Jalan Taman Daya, 81100 Johor Bahru",
        "date": dt.date(2018, 3, 27),
        "time": dt.time(18, 5),
        "currency": "MYR",
        "total": Decimal("1234.5"),
        "payment_method": "cash",
        "line_items": [
            {"description": "TEA", "quantity": 2, "unit_price": "3.5", "amount": "7"},
            {"description": "MILO", "quantity": 1, "unit_price": "3.5", "amount": "3.5"},
        ],
    }
    return Receipt.model_validate(values | changes)


def _holds(citation_box: tuple[float, float, float, float], line: int, page: PageWords) -> bool:
    """Whether a cited box lies on the printed line (by its baseline, as a share of 420 pt)."""
    _, _, baseline = LINES[line]
    y0, y1 = citation_box[1], citation_box[3]
    return y0 * 420 < baseline < y1 * 420 + 2


def test_every_printed_value_is_cited_on_its_line(tmp_path: Path) -> None:
    page = receipt_page(tmp_path / "r.pdf")
    cited = cite_fields(right_receipt(), [page])
    assert cited.doubts == ()
    by_field = {c.field: c for c in cited.citations}
    # Currency and payment method are normalised by the schema, not printed as held.
    assert list(by_field) == [
        "merchant_name",
        "merchant_address",
        "date",
        "time",
        "total",
        "line_items[0].description",
        "line_items[0].quantity",
        "line_items[0].unit_price",
        "line_items[0].amount",
        "line_items[1].description",
        "line_items[1].quantity",
        "line_items[1].unit_price",
        "line_items[1].amount",
    ]
    where = {
        "merchant_name": 0,
        "date": 3,
        "time": 3,
        "total": 6,
        "line_items[0].amount": 4,
        "line_items[1].unit_price": 5,
        "line_items[1].amount": 5,
    }
    for field, line in where.items():
        box = by_field[field]
        assert _holds((box.x0, box.y0, box.x1, box.y1), line, page), field
    address = by_field["merchant_address"]
    # Over its two lines, and no further.
    assert address.y0 * 420 < LINES[1][2] and LINES[2][2] < address.y1 * 420 + 2
    assert address.y1 * 420 < LINES[3][2] - 9
    total = by_field["total"]
    assert total.value == "1234.5" and total.found_in == "text_layer" and total.page == 1
    # The box is the amount's word, not its line: it starts right of `TOTAL ... RM `.
    assert total.x0 * 298 > 20 + 22 * 5.4 and total.x0 < total.x1 <= 1


def test_an_invented_total_is_doubted_and_other_fields_still_cited(tmp_path: Path) -> None:
    page = receipt_page(tmp_path / "r.pdf")
    cited = cite_fields(right_receipt(total=Decimal("999.99"), line_items=[]), [page])
    assert [(d.warning, d.factor) for d in cited.doubts] == [("total: not found on the page", 0.6)]
    assert [c.field for c in cited.citations] == [
        "merchant_name",
        "merchant_address",
        "date",
        "time",
    ]


def test_a_line_item_not_on_the_page_costs_less_than_a_key_field(tmp_path: Path) -> None:
    page = receipt_page(tmp_path / "r.pdf")
    item = {"description": "COFFEE LATTE", "amount": "12.90"}
    cited = cite_fields(right_receipt(line_items=[item]), [page])
    assert [(d.warning, d.factor) for d in cited.doubts] == [
        ("line_items[0].description: not found on the page", 0.9),
        ("line_items[0].amount: not found on the page", 0.9),
    ]


class Kind(Enum):
    SALE = "sale"


class Custom(BaseModel):
    kind: Kind | None = None
    channel: Literal["web", "shop"] | None = None
    paid: bool | None = None
    note: str | None = None
    initial: str | None = None
    reference: str | None = None


@pytest.mark.parametrize(
    ("values", "citable"),
    [
        (Custom(kind=Kind.SALE, channel="web", paid=True, initial="A"), []),
        (Custom(reference="TOTAL", note=None), ["reference"]),
    ],
)
def test_choices_booleans_nulls_and_single_letters_are_not_cited(
    tmp_path: Path, values: Custom, citable: list[str]
) -> None:
    page = receipt_page(tmp_path / "r.pdf")
    cited = cite_fields(values, [page])
    assert [c.field for c in cited.citations] == citable and cited.doubts == ()


def test_no_words_is_a_note_and_unchecked_pages_hold_back_the_doubts(tmp_path: Path) -> None:
    nothing = cite_fields(right_receipt(total=Decimal("999.99")), [PageWords(1, (), "ocr")])
    assert nothing.citations == () and nothing.doubts == (NOT_CHECKED,)
    assert NOT_CHECKED.factor == 1.0
    page = receipt_page(tmp_path / "r.pdf")
    partly = cite_fields(right_receipt(total=Decimal("999.99")), [page], unchecked=[2, 3])
    assert [d.warning for d in partly.doubts] == [
        "fields not checked against pages 2, 3: no text layer or OCR lines"
    ]
    assert "merchant_name" in {c.field for c in partly.citations}


def test_ocr_lines_are_split_into_words_with_boxes_as_shares_of_the_image() -> None:
    line = OcrLine("TOTAL RM12.50", 0.97, Box(100, 200, 230, 220))
    image = RenderedImage(page=2, width=400, height=800, mime="image/jpeg", data=b"")
    (page,) = ocr_words([OcrPage(1, (line,), 1)], [image])
    assert page.page == 2 and page.found_in == "ocr"
    assert [w.text for w in page.words] == ["TOTAL", "RM12.50"]
    amount = page.words[1].box
    assert amount.x0 == pytest.approx((100 + 130 * 6 / 13) / 400)
    assert amount.x1 == pytest.approx(230 / 400) and amount.y0 == pytest.approx(0.25)
    (cited,) = cite_fields(Receipt(total=Decimal("12.5")), [page]).citations
    assert cited.page == 2 and cited.found_in == "ocr" and cited.x0 == amount.x0


@pytest.mark.parametrize(
    ("printed", "amount"),
    [
        ("RM12.50", "12.5"),
        ("1,234.50", "1234.5"),
        ("12,50", "12.5"),
        ("1.234,50", "1234.5"),
        ("-5.00", "5"),
        ("l2.5O", "12.5"),
        ("$8", "8"),
    ],
)
def test_printed_amounts_read_as_values(printed: str, amount: str) -> None:
    assert Decimal(amount) in list(amounts_in(printed))


@pytest.mark.parametrize(
    "printed",
    [
        "2018-03-27",
        "27/03/2018",
        "27-03-18",
        "27 Mar 2018",
        "27MAR2018",
        "Mar 27, 2018",
        "27.03.2018",
        "27/03/201810:30",
        "DATE:27/03/2018",
        "27032018",
        "27 Mer 2018",
    ],
)
def test_printed_dates_read_day_first(printed: str) -> None:
    assert dt.date(2018, 3, 27) in list(dates_in(printed))


def test_a_date_is_day_first_unless_only_month_first_is_a_date() -> None:
    assert set(dates_in("03/04/2019")) == {dt.date(2019, 4, 3)}
    assert set(dates_in("03/15/2019")) == {dt.date(2019, 3, 15)}


@pytest.mark.parametrize(
    ("printed", "time"),
    [
        ("18:05", dt.time(18, 5)),
        ("6:05 PM", dt.time(18, 5)),
        ("12:10AM", dt.time(0, 10)),
        ("18:05:33", dt.time(18, 5, 33)),
        ("18h05", dt.time(18, 5)),
    ],
)
def test_printed_times_read_on_a_24_hour_clock(printed: str, time: dt.time) -> None:
    assert time in list(times_in(printed))


def test_an_amount_is_not_a_time() -> None:
    assert list(times_in("TOTAL 18.05")) == []
