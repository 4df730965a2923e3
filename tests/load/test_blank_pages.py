"""Blank pages: duplex backs with only noise on them are blank; a page with anything a user
would want read on it is not. Pages are drawn by the pipeline's reader at the size sent to
Pixtral, and judged both as drawn (where the pipeline judges them) and as the JPEG sent."""

from pathlib import Path

import pymupdf
import pytest
from duplex_backs import (
    BACKS,
    CONTENT,
    PAPERS,
    DrawnPage,
    content_page,
    drawn_pages,
    duplex_back,
    save_scan,
)
from PIL import Image

from extractors.load.blank import BlankVerdict, judge_blank


def _one_page(path: Path) -> DrawnPage:
    pages, errors = drawn_pages(path)
    assert errors == []
    assert len(pages) == 1
    assert max(pages[0].drawn.size) == 1024  # as sized for Pixtral
    return pages[0]


def _judged(page: DrawnPage) -> tuple[BlankVerdict, BlankVerdict]:
    return judge_blank(page.drawn), judge_blank(page.sent_image())


# Backs with each kind of noise alone, and with all of them, on each paper.
_EXPECTED_NOISE = {
    "plain": "paper only",
    "speckle": "speckle",
    "punched holes": "punched hole",
    "page number": "page number",
    "bleed-through": "paper only",  # under the mark contrast: nothing is marked
    "scanner edge": "scanner edge",
}


@pytest.mark.parametrize("paper", PAPERS, ids=lambda p: p.name)
@pytest.mark.parametrize("back", list(BACKS))
def test_duplex_backs_are_blank(tmp_path: Path, paper, back: str):
    page = _one_page(save_scan(duplex_back(paper, BACKS[back], seed=5), tmp_path / "back.jpg"))
    for verdict in _judged(page):
        assert verdict.blank, verdict
        assert verdict.largest_mark == 0
        if back in _EXPECTED_NOISE:
            assert verdict.reason == _EXPECTED_NOISE[back]
        else:  # all of them
            assert verdict.reason.split(", ") == [
                "page number",
                "punched hole",
                "scanner edge",
                "speckle",
            ]


@pytest.mark.parametrize("paper", PAPERS, ids=lambda p: p.name)
@pytest.mark.parametrize("kind", list(CONTENT))
def test_one_small_thing_on_the_noisiest_back_is_content(tmp_path: Path, paper, kind: str):
    scan = content_page(paper, CONTENT[kind], seed=5)
    page = _one_page(save_scan(scan, tmp_path / "page.jpg"))
    for verdict in _judged(page):
        assert not verdict.blank, verdict
        assert verdict.reason.startswith("mark ")
        assert verdict.largest_mark >= 20  # the thing itself, not a speck beside it


def _pdf(path: Path, draw_pages: list) -> Path:
    document = pymupdf.open()
    for draw in draw_pages:
        draw(document.new_page(width=612, height=792))
    document.save(path)
    document.close()
    return path


def _nothing(page: pymupdf.Page) -> None:
    return None


def _page_number(page: pymupdf.Page) -> None:
    page.insert_text((300, 760), "3", fontsize=10)


def _grey_paper(page: pymupdf.Page) -> None:
    page.draw_rect(page.rect, color=None, fill=(0.85, 0.85, 0.82))


def _short_line(page: pymupdf.Page) -> None:
    page.insert_text((250, 400), "Approved", fontsize=11)


def _table_rule(page: pymupdf.Page) -> None:
    page.draw_line((72, 200), (540, 200), color=(0, 0, 0), width=0.5)


def _white_on_black(page: pymupdf.Page) -> None:
    page.draw_rect(page.rect, color=None, fill=(0, 0, 0))
    page.insert_text((72, 400), "Chapter two", fontsize=14, color=(1, 1, 1))


def _light_blue_note(page: pymupdf.Page) -> None:
    page.insert_text((72, 300), "see attached", fontsize=10, color=(0.55, 0.7, 0.95))


def test_born_digital_pages_drawn_by_the_pipeline(tmp_path: Path):
    blanks = [_nothing, _page_number, _grey_paper]
    content = [_short_line, _table_rule, _white_on_black, _light_blue_note]
    pages, errors = drawn_pages(_pdf(tmp_path / "mixed.pdf", blanks + content))
    assert errors == []
    judged = [(judge_blank(p.drawn), judge_blank(p.sent_image())) for p in pages]
    assert [d.blank for d, _ in judged] == [True] * len(blanks) + [False] * len(content)
    assert [s.blank for _, s in judged] == [d.blank for d, _ in judged]
    assert [d.reason for d, _ in judged[:3]] == ["paper only", "page number", "paper only"]


def test_scanned_pdf_pages_drawn_by_the_pipeline(tmp_path: Path):
    """A scanned PDF with a blank back between two pages: only the back is blank."""
    paper = PAPERS[1]
    scans = [
        content_page(paper, CONTENT["short line"], seed=8),
        duplex_back(paper, BACKS["all of them"], seed=8),
        content_page(paper, CONTENT["signature"], seed=8),
    ]
    document = pymupdf.open()
    for number, scan in enumerate(scans):
        page = document.new_page(width=612, height=792)
        page.insert_image(page.rect, filename=str(save_scan(scan, tmp_path / f"{number}.jpg")))
    document.save(tmp_path / "scanned.pdf")
    document.close()
    pages, errors = drawn_pages(tmp_path / "scanned.pdf")
    assert errors == []
    assert [judge_blank(p.drawn).blank for p in pages] == [False, True, False]
    assert [judge_blank(p.sent_image()).blank for p in pages] == [False, True, False]


def test_gray_images_and_any_paper_colour_are_judged():
    gray = Image.new("L", (800, 1000), 230)
    assert judge_blank(gray) == BlankVerdict(True, 0.0, 0, 0, "paper only")
    pink = Image.new("RGB", (800, 1000), (250, 215, 220))
    assert judge_blank(pink).blank
    pink.paste((250, 235, 120), (300, 400, 420, 420))  # a yellow highlighter stroke on pink
    verdict = judge_blank(pink)
    assert not verdict.blank
    assert verdict.reason == "mark 120x20 px at 300,400"


def test_a_page_too_small_to_judge_is_never_blank():
    verdict = judge_blank(Image.new("RGB", (40, 50), "white"))
    assert verdict == BlankVerdict(False, 0.0, 0, 50, "too small to judge")


def test_a_page_of_marks_is_content_without_counting_them():
    page = Image.new("L", (800, 1000), 255)
    page.paste(0, (0, 0, 800, 100))  # a black band: 10% of the page
    verdict = judge_blank(page)
    assert (verdict.blank, verdict.ink_share, verdict.marks) == (False, 0.1, 0)
    assert verdict.reason == "marks cover 10.0%"


def test_many_page_number_like_marks_are_not_a_page_number():
    page = Image.new("L", (791, 1024), 255)
    for x in range(100, 700, 120):  # five short words along the foot of the page
        page.paste(0, (x, 990, x + 30, 1000))
    verdict = judge_blank(page)
    assert (verdict.blank, verdict.marks) == (False, 5)
    assert verdict.reason == "too many page-number-like marks"


@pytest.mark.corpus
def test_the_corpus_blank_page_is_blank_and_its_scans_are_not(corpus: Path):
    (empty,), _ = drawn_pages(corpus / "pdfs" / "enc_empty_user_pw.pdf")  # nothing painted
    assert judge_blank(empty.drawn).blank
    names = ["pdfs/scanned_ccitt_fax.pdf", "pdfs/rotated90_scanned_jpeg.pdf"]
    names += ["images/doc_historical_scan_progressive.jpg", "receipts/sroie_000.jpg"]
    for name in names:
        pages, _ = drawn_pages(corpus / name)
        assert pages
        assert [judge_blank(p.drawn).blank for p in pages] == [False] * len(pages), name
