"""The embedded engine's report of its reading: line scores and boxes, lines detected but not
read, and its warning when a page is in a script it cannot read."""

import base64
import json
from dataclasses import astuple
from typing import Any

import pymupdf
import pytest

from extractors.endpoint.completion import OCR_EXTENSION, ocr_pages
from extractors.endpoint.prompt import LAYER_TEXT_LABEL
from extractors.offline.engine import OcrEngine, answer_request
from extractors.offline.ocr_report import PageReading, page_warnings
from extractors.offline.ocr_trust import ocr_trust
from extractors.records import Box, OcrLine

ENGLISH = ["The invoice total is 125 euros", "Payment is due on the first of May"]
RUSSIAN = [
    "Счёт на оплату номер сорок два",
    "Итого к оплате сто двадцать пять",
    "Оплатить до первого мая сего года",
]
WIDTH, HEIGHT = 520, 320


def page_png(lines: list[str]) -> bytes:
    """The lines drawn by MuPDF at 150 dpi in its built-in Droid Sans Fallback (Cyrillic too)."""
    document = pymupdf.open()
    page = document.new_page(width=WIDTH * 72 / 150, height=HEIGHT * 72 / 150)
    writer = pymupdf.TextWriter(page.rect)
    for number, line in enumerate(lines):
        writer.append((14, 30 + 26 * number), line, font=pymupdf.Font("cjk"), fontsize=11)
    writer.write_text(page)
    data = page.get_pixmap(dpi=150).tobytes("png")
    document.close()
    return data


def request(image: bytes, layer: str = "", schema: str = "page_text") -> dict[str, Any]:
    url = "data:image/png;base64," + base64.b64encode(image).decode()
    parts: list[dict[str, Any]] = [{"type": "image_url", "image_url": {"url": url}}]
    if layer:
        parts.append({"type": "text", "text": f"{LAYER_TEXT_LABEL} 1: {layer}"})
    return {
        "messages": [{"role": "user", "content": parts}],
        "response_format": {"type": "json_schema", "json_schema": {"name": schema}},
    }


@pytest.fixture(scope="module")
def engine() -> OcrEngine:
    return OcrEngine(threads=2)


@pytest.fixture(scope="module")
def mixed(engine: OcrEngine) -> dict[str, Any]:
    return answer_request(engine, request(page_png(ENGLISH + RUSSIAN)))


def test_lines_in_a_script_the_engine_cannot_read_are_counted_and_warned_of(
    mixed: dict[str, Any],
) -> None:
    (page,) = mixed[OCR_EXTENSION]["pages"]
    assert page["detected_lines"] == len(ENGLISH + RUSSIAN)
    assert [line["text"] for line in page["lines"]] == ENGLISH
    assert page["warnings"] == [
        "lines the embedded engine could not read: 3 of 5 (a script it does not support?)"
    ]


def test_the_text_layer_names_the_script_the_engine_cannot_read(engine: OcrEngine) -> None:
    lines = ENGLISH + RUSSIAN
    answer = answer_request(engine, request(page_png(lines), layer="\n".join(lines)))
    (page,) = answer[OCR_EXTENSION]["pages"]
    assert page["warnings"] == ["script not supported by the embedded engine: Cyrillic"]


def test_an_english_page_reads_surely_in_boxes_on_the_image(engine: OcrEngine) -> None:
    answer = answer_request(engine, request(page_png(ENGLISH)))
    (page,) = answer[OCR_EXTENSION]["pages"]
    assert (page["image"], page["detected_lines"], page["warnings"]) == (1, 2, [])
    assert [line["text"] for line in page["lines"]] == ENGLISH
    assert all(line["score"] > 0.95 for line in page["lines"])
    for line in page["lines"]:
        x0, y0, x1, y1 = line["box"]
        assert 0 <= x0 < x1 <= WIDTH and 0 <= y0 < y1 <= HEIGHT
    first, second = (line["box"] for line in page["lines"])
    assert first[3] <= second[1] + 2  # the first line above the second
    assert json.loads(answer["choices"][0]["message"]["content"])["pages"][0]["text"] == (
        "\n".join(ENGLISH)
    )


def test_a_receipt_answer_reports_the_images_it_read(engine: OcrEngine) -> None:
    answer = answer_request(engine, request(page_png(ENGLISH), schema="receipt"))
    (page,) = answer[OCR_EXTENSION]["pages"]
    assert [line["text"] for line in page["lines"]] == ENGLISH


def test_a_receipt_read_from_its_text_layer_reports_no_image(engine: OcrEngine) -> None:
    answer = answer_request(engine, request(page_png(ENGLISH), "TOTAL 9.00", schema="receipt"))
    assert answer[OCR_EXTENSION] == {"pages": []}


def test_the_report_reads_back_as_ocr_pages_and_their_trust(
    engine: OcrEngine, mixed: dict[str, Any]
) -> None:
    english = answer_request(engine, request(page_png(ENGLISH)))
    sent = [answer[OCR_EXTENSION]["pages"][0] for answer in (english, mixed)]
    read = [ocr_pages(answer)[0] for answer in (english, mixed)]
    for page, report in zip(read, sent, strict=True):
        assert (page.image, page.detected_lines) == (1, report["detected_lines"])
        assert list(page.warnings) == report["warnings"]
        assert [(line.text, line.score) for line in page.lines] == [
            (line["text"], line["score"]) for line in report["lines"]
        ]
        assert [list(astuple(line.box)) for line in page.lines] == [
            line["box"] for line in report["lines"]
        ]
    clear, doubted = (ocr_trust(page) for page in read)
    assert (clear.warnings, doubted.warnings) == ([], list(read[1].warnings))
    assert doubted.confidence < clear.confidence


def test_a_line_or_two_of_noise_left_unread_raises_no_warning() -> None:
    line = OcrLine("TOTAL 9.00", 0.99, Box(0, 0, 10, 10))
    assert page_warnings(PageReading("", (line,) * 38, 40), None) == ()
    assert page_warnings(PageReading("", (line,) * 34, 40), None) == (
        "lines the embedded engine could not read: 6 of 40 (a script it does not support?)",
    )
    # A layer in a script the engine reads leaves the count; one it cannot read names it.
    assert page_warnings(PageReading("", (line,) * 38, 40), "Total") == ()
    assert page_warnings(PageReading("", (line,) * 38, 40), "Итого") == (
        "script not supported by the embedded engine: Cyrillic",
    )
