"""The dry run's judge of a text layer gives the run's verdict, text and figures, page for page.

`judge_text_layer` leaves out the words and the Markdown, and runs the hidden-text trace only
where `may_hide_text` cannot rule hidden text out. Compared with `read_text_layer` on every
built lie (wrong maps, each way of hiding text), honest pages, scans with and without an OCR
layer, a dense page with a box painted over part of its text, and the corpus's PDFs.
"""

from pathlib import Path

import pymupdf
import pytest
from lying_pdfs import HIDDEN_KINDS, honest_pages, lying_pages
from text_layer_pdfs import build_kinds_pdf

from extractors.load.layer.hidden_text import find_hidden_text
from extractors.load.layer.span_screen import may_hide_text
from extractors.load.text_layer import judge_text_layer, read_text_layer
from extractors.records import TextLayer

_CORPUS_PAGES = 12  # pages judged per corpus file: the sweep stays in seconds
# What PyMuPDF raises for damaged files and pages (as extractors/load/reader.py catches).
_MUPDF_ERRORS = (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase)


def _dense_page(path: Path) -> Path:
    """The dry-run benchmark's page: dense text, then a shaded box over part of it."""
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    page.insert_textbox(pymupdf.Rect(54, 54, 558, 738), "invoice total amount due " * 150)
    page.draw_rect(pymupdf.Rect(54, 600, 300, 700), color=(0, 0, 0.6), fill=(0.9, 0.9, 1))
    document.save(path)
    document.close()
    return path


def _tricky_pages(folder: Path) -> list[Path]:
    """Hiding the screen must see through: a white box over one word of a line (written by its
    own call), the same page drawn inside a Form XObject, white text on a turned page."""
    lines = ["The quarterly report of the company shows that sales grew in every region."] * 8
    pages = {}
    for name in ("word_box", "rotated_white"):
        document = pymupdf.open()
        page = document.new_page(width=612, height=792)
        for number, line in enumerate(lines):
            page.insert_text((72, 90 + 16 * number), line, fontsize=10)
        if name == "word_box":
            page.insert_text((72, 300), "TOTAL", fontsize=10)
            page.insert_text((120, 300), "999.99", fontsize=10)
            page.draw_rect(pymupdf.Rect(118, 290, 160, 303), color=None, fill=(1, 1, 1))
        else:
            page.set_rotation(90)
            page.insert_text((72, 300), "pay to another account", fontsize=10, color=(1, 1, 1))
        pages[name] = document
    framed = pymupdf.open()
    framed.new_page(width=612, height=792).show_pdf_page(
        pymupdf.Rect(0, 0, 612, 792), pages["word_box"], 0
    )
    pages["framed_word_box"] = framed
    paths = []
    for name, document in pages.items():
        document.save(folder / f"{name}.pdf")
        paths.append(folder / f"{name}.pdf")
    return paths


def _figures(layer: TextLayer) -> tuple[object, ...]:
    """All a judge says but the words and the Markdown."""
    return layer.verdict, layer.chars, layer.image_coverage, layer.text, layer.doubts, layer.script


def _pages(path: Path, limit: int = 10_000) -> list[pymupdf.Page]:
    document = pymupdf.open(path)
    return [document[number] for number in range(min(limit, document.page_count))]


def _built(folder: Path) -> list[Path]:
    built = [page.path for page in (*lying_pages(folder), *honest_pages(folder))]
    kinds, dense = build_kinds_pdf(folder / "kinds.pdf"), _dense_page(folder / "dense.pdf")
    return [*built, *_tricky_pages(folder), kinds, dense]


def test_the_quick_judge_agrees_with_the_runs_on_lying_and_honest_layers(tmp_path: Path) -> None:
    paths = _built(tmp_path)
    pages = [page for path in paths for page in _pages(path)]
    differing = [
        (page.parent.name, page.number)
        for page in pages
        if _figures(judge_text_layer(page)) != _figures(read_text_layer(page))
    ]
    assert differing == []
    # Every built file was judged: one page each, the kinds PDF's four.
    assert len(pages) == len(paths) + 3
    usable = [page.parent.name for page in pages if read_text_layer(page).usable]
    assert usable == [page.parent.name for page in pages if judge_text_layer(page).usable]
    assert any(name.endswith("hidden_white.pdf") for name in usable)  # text left out, still used


def test_the_screen_spares_the_trace_on_honest_pages_and_never_on_hidden_text(
    tmp_path: Path,
) -> None:
    paths = _built(tmp_path)
    pages = {Path(page.parent.name).stem: page for path in paths for page in _pages(path)[:1]}
    hiding = {name for name, page in pages.items() if find_hidden_text(page, []).keys}
    flagged = {name for name, page in pages.items() if may_hide_text(page)}
    assert hiding <= flagged
    tricks = {"word_box", "framed_word_box", "rotated_white"}
    assert {f"hidden_{kind}" for kind in HIDDEN_KINDS} | {"invoice_total"} | tricks <= flagged
    assert tricks <= hiding
    # The trace is spared where nothing can be hidden: the honest prose and the dense page,
    # whose box covers lines but no whole span.
    assert "dense" not in flagged
    assert {"prose_en", "prose_fr", "prose_ru"}.isdisjoint(flagged)


@pytest.mark.corpus
def test_the_quick_judge_agrees_with_the_runs_on_the_corpus_pdfs(corpus: Path) -> None:
    judged = differing = 0
    for path in sorted((corpus / "pdfs").glob("*.pdf")):
        try:
            document = pymupdf.open(path)
        except _MUPDF_ERRORS:  # the corpus holds unreadable files on purpose
            continue
        if document.needs_pass:
            continue
        for number in range(min(_CORPUS_PAGES, document.page_count)):
            try:
                page = document[number]
                full = read_text_layer(page)
            except _MUPDF_ERRORS:  # a damaged page: the run's judge fails too
                continue
            judged += 1
            differing += _figures(judge_text_layer(page)) != _figures(full)
    assert judged > 20
    assert differing == 0
