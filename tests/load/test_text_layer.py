"""A PDF page's own text layer: read exactly, and judged whether it stands for the page."""

from pathlib import Path

import pymupdf
import pytest
from repo_paths import REPO
from text_layer_pdfs import WORDS, build_kinds_pdf

from extractors.load.identify import identify
from extractors.load.reader import DocumentReader
from extractors.options import RenderOptions, TextLayerMode
from extractors.records import DocumentLayout
from schemas import TextLayerVerdict


def _layout(path: Path, mode: TextLayerMode = TextLayerMode.AUTO) -> DocumentLayout:
    reader = DocumentReader(identify(path), RenderOptions(text_layer=mode), None)
    try:
        return reader.layout()
    finally:
        reader.close()


def test_each_kind_of_page_gets_its_verdict_and_figures(tmp_path: Path) -> None:
    layout = _layout(build_kinds_pdf(tmp_path / "kinds.pdf"))
    verdicts = [layer.verdict for layer in layout.text_layers]
    assert verdicts == [
        TextLayerVerdict.USABLE,
        TextLayerVerdict.NONE,
        TextLayerVerdict.OCR_LAYER,
        TextLayerVerdict.SCAN_LABELS,
    ]
    born, bare, ocr, stamp = layout.text_layers
    assert born.image_coverage == 0.0 and bare.image_coverage == pytest.approx(1.0)
    assert born.chars == sum(1 for c in born.text if not c.isspace()) > 500
    # Exactly what was written, line by line, in reading order.
    assert born.text.splitlines()[0] == f"{WORDS} Line 1."
    assert [line for line in born.text.splitlines() if line][-1] == f"{WORDS} Line 12."
    assert bare.chars == 0 and WORDS in ocr.text and stamp.text == "PAID 2025"


def test_off_reads_no_layer(tmp_path: Path) -> None:
    layout = _layout(build_kinds_pdf(tmp_path / "kinds.pdf"), TextLayerMode.OFF)
    assert layout.text_layers == () and layout.text_layer(1) is None


def test_fonts_without_a_unicode_map_are_garbled(tmp_path: Path) -> None:
    path = tmp_path / "garbled.pdf"
    document = pymupdf.open()
    page = document.new_page()
    page.insert_text((72, 90), "\ufffd" * 40 + " ok", fontsize=10)
    document.save(path)
    document.close()
    (layer,) = _layout(path).text_layers
    assert layer.verdict == TextLayerVerdict.GARBLED and layer.chars > 40


@pytest.mark.parametrize("name", ["letter_3pages.pdf", "report_14pages.pdf"])
def test_the_samples_born_digital_pages_are_usable_and_exact(name: str) -> None:
    path = REPO / "data" / "samples" / name
    layout = _layout(path)
    assert all(layer.usable for layer in layout.text_layers)
    with pymupdf.open(path) as document:
        for layer, page in zip(layout.text_layers, document, strict=True):
            # The same characters as the layer itself, only in reading order.
            assert sorted(layer.text.split()) == sorted(page.get_text().split())
