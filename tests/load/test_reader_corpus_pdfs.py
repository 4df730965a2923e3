"""Reading the shared corpus's PDFs: rotation, boxes, UserUnit, encryption, broken files."""

import csv
from pathlib import Path

import pymupdf
import pytest
from render_checks import (
    LETTER_200_DPI,
    decode_jpeg,
    gray_levels,
    open_layout,
    plan_pages,
    render_pages,
    rendered_image,
)

from extractors.errors import SourceError
from extractors.plan.profiles.pixtral import PixtralProfile
from extractors.records import RenderedImage


@pytest.fixture
def passwords(corpus: Path) -> dict[str, str]:
    with (corpus / "pdfs" / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        return {row["file"]: row["password"] for row in csv.DictReader(handle) if row["password"]}


def test_rotated_pages_are_sized_and_rendered_as_rotated(corpus: Path):
    path = corpus / "pdfs" / "rotated_0_90_180_270.pdf"
    with pymupdf.open(path) as document:
        page2 = document[1]
        assert page2.rotation == 90
        assert page2.mediabox.width < page2.mediabox.height  # stored portrait
    reader, layout = open_layout(path)
    assert layout.page_count == 4
    # /Rotate 90 turns the portrait MediaBox of page 2 into a landscape page
    w, h = layout.page_sizes[1]
    assert (w, h) == (round(842 * 200 / 72), round(595 * 200 / 72))
    planned = plan_pages(layout)
    results = [rendered_image(r) for r in render_pages(reader, planned, False)]
    reader.close()
    for result, (pw, ph) in zip(results, layout.page_sizes, strict=True):
        assert (result.width > result.height) == (pw > ph)
    assert (results[1].width, results[1].height) == (1024, 724)


def test_inherited_rotate_is_honoured(corpus: Path):
    reader, layout = open_layout(corpus / "pdfs" / "rotated_inherited.pdf")
    result = rendered_image(render_pages(reader, plan_pages(layout), False)[0])
    reader.close()
    assert layout.page_sizes == ((2200, 1700),)  # 612x792 MediaBox, /Rotate 90 on /Pages
    assert result.width > result.height


def test_cropbox_not_mediabox_sizes_the_page(corpus: Path):
    reader, layout = open_layout(corpus / "pdfs" / "huge_mediabox_14402pt_cropbox_4pt.pdf")
    assert layout.page_count == 1
    w, h = layout.page_sizes[0]
    assert w <= 12 and h <= 12  # 4 pt at 200 DPI, not a 14402-pt canvas
    result = rendered_image(render_pages(reader, plan_pages(layout), False)[0])
    reader.close()
    assert result.width <= 12 and result.height <= 12


@pytest.mark.parametrize(
    ("name", "expected"),
    [("userunit_72_letter.pdf", LETTER_200_DPI), ("userunit_3_text.pdf", (5100, 6600))],
)
def test_userunit_is_applied(corpus: Path, name: str, expected):
    reader, layout = open_layout(corpus / "pdfs" / name)
    result = rendered_image(render_pages(reader, plan_pages(layout), False)[0])
    reader.close()
    assert layout.page_sizes == (expected,)
    assert (result.width, result.height) == PixtralProfile().fit(*expected)


def test_encrypted_pdf_needs_its_password(corpus: Path, passwords: dict[str, str]):
    path = corpus / "pdfs" / "enc_r6_aes256_user_pw.pdf"
    assert passwords["enc_r6_aes256_user_pw.pdf"] == "asdfzxcv"
    with pytest.raises(SourceError, match="password"):
        open_layout(path)
    with pytest.raises(SourceError, match="password"):
        open_layout(path, password="wrong")
    reader, layout = open_layout(path, password="asdfzxcv")
    result = rendered_image(render_pages(reader, plan_pages(layout), False)[0])
    reader.close()
    assert layout.page_count == 1
    assert gray_levels(decode_jpeg(result)).std() > 1  # something was drawn


def test_libreoffice_encrypted_pdf_opens_with_its_password(corpus: Path, passwords):
    name = "enc_libreoffice_user_pw.pdf"
    with pytest.raises(SourceError, match="password"):
        open_layout(corpus / "pdfs" / name)
    reader, layout = open_layout(corpus / "pdfs" / name, password=passwords[name])
    reader.close()
    assert layout.page_count == 1


@pytest.mark.parametrize("name", ["enc_r4_owner_pw_only.pdf", "enc_empty_user_pw.pdf"])
def test_pdf_with_empty_user_password_opens_without_one(corpus: Path, name: str):
    reader, layout = open_layout(corpus / "pdfs" / name)
    results = render_pages(reader, plan_pages(layout), False)
    reader.close()
    assert layout.page_count == 1
    assert isinstance(results[0], RenderedImage)


def test_r6_password_is_saslprepped(corpus: Path, passwords):
    name = "enc_r6_saslprep_unicode_pw.pdf"
    assert passwords[name] == "S\u00aaSL\u00adprep"
    reader, layout = open_layout(corpus / "pdfs" / name, password=passwords[name])
    reader.close()
    assert layout.page_count == 1


def test_zero_page_pdf(corpus: Path):
    with pytest.raises(SourceError, match="no pages"):
        open_layout(corpus / "pdfs" / "zero_pages.pdf")


@pytest.mark.parametrize("name", ["malformed_not_a_pdf.pdf", "malformed_fuzzed_unopenable.pdf"])
def test_unopenable_pdf(corpus: Path, name: str):
    with pytest.raises(SourceError, match="cannot open PDF") as excinfo:
        open_layout(corpus / "pdfs" / name)
    assert str(corpus) not in str(excinfo.value)  # the file name only, not the full path


def test_page_tree_cycle_fails_only_the_bad_page(corpus: Path):
    reader, layout = open_layout(corpus / "pdfs" / "malformed_page_tree_cycle.pdf")
    assert layout.page_count == 2
    results = render_pages(reader, plan_pages(layout), False)
    reader.close()
    first = rendered_image(results[0])
    assert first.page == 1
    decode_jpeg(first)
    assert isinstance(results[1], SourceError)
    assert "page 2" in str(results[1])
