"""A text layer stands for what is drawn, or is not used: lying maps, hidden text, honest pages."""

from collections.abc import Callable
from pathlib import Path

import pymupdf
import pytest
from lying_pdfs import (
    ENGLISH,
    HIDDEN_KINDS,
    HIDDEN_LINE,
    INVOICE,
    PROSE,
    SHAPES,
    cyrillic_as_ascii,
    cyrillic_as_latin1,
    greek_as_ascii,
    hidden_page,
    honest_page,
    invoice_page,
    shift_letter,
    styled_honest_page,
    under_full_image_page,
    utf8_as_cp1252,
    wrong_map_page,
)

from extractors.load.text_layer import read_text_layer
from extractors.records import TextLayer
from schemas import TextLayerVerdict


def _layer(path: Path, page: int = 1) -> TextLayer:
    with pymupdf.open(path) as document:
        return read_text_layer(document[page - 1])


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


MAPS: list[tuple[str, tuple[str, ...], Callable[[str], str], str]] = [
    ("shifted", ENGLISH, shift_letter, "Uif rvbsufsmz sfqpsu"),
    ("latin1_soup", PROSE["ru"], cyrillic_as_latin1, "Êâàðòàëüíûé"),
    ("cyrillic_ascii", PROSE["ru"], cyrillic_as_ascii, "Kcaqsalcnbj"),
    ("greek_ascii", PROSE["el"], greek_as_ascii, "G tqilgmia"),
    ("mojibake", PROSE["fr"], utf8_as_cp1252, "sociÃ©tÃ©"),
]


@pytest.mark.parametrize(("name", "lines", "mapping", "reads"), MAPS, ids=[m[0] for m in MAPS])
def test_a_wrong_unicode_map_is_garbled(
    tmp_path: Path, name: str, lines: tuple[str, ...], mapping: Callable[[str], str], reads: str
) -> None:
    built = wrong_map_page(tmp_path, name, lines, mapping)
    with pymupdf.open(built.path) as document:
        extracted = document[0].get_text()
    assert reads in extracted and lines[0] not in extracted  # the map really lies
    layer = _layer(built.path)
    assert layer.verdict == TextLayerVerdict.GARBLED and layer.words == ()


REASONS = {
    "white": "white on white",
    "tiny": "under 1 pt",
    "image": "under an image",
    "white_box": "under a shape",
    "invisible": "invisible",
    "transparent": "transparent",
    "background": "in its background's colour",
    "outside": "outside the page",
}


@pytest.mark.parametrize("kind", HIDDEN_KINDS)
def test_hidden_text_is_left_out_and_said(tmp_path: Path, kind: str) -> None:
    layer = _layer(hidden_page(tmp_path, kind).path)
    assert layer.verdict == TextLayerVerdict.USABLE
    assert _lines(layer.text) == list(ENGLISH)  # exactly what is drawn, nothing else
    (doubt,) = layer.doubts
    assert doubt.warning == f"hidden text left out: 1 line ({REASONS[kind]})"
    assert 0 < doubt.factor < 1
    words = [word.text for word in layer.words]
    assert "IGNORE" not in words and words[:3] == ["The", "quarterly", "report"]


def test_the_invoice_says_what_it_draws(tmp_path: Path) -> None:
    layer = _layer(invoice_page(tmp_path).path)
    assert layer.usable and _lines(layer.text) == list(INVOICE)
    assert "999.99" not in layer.text and "IGNORE" not in layer.text
    assert [d.warning for d in layer.doubts] == ["hidden text left out: 1 line (white on white)"]
    total = [word for word in layer.words if word.text == "100.00"]
    assert len(total) == 1 and total[0].box.x0 > 72 and total[0].box.y1 < 792


def test_text_under_a_page_sized_image_is_not_the_page(tmp_path: Path) -> None:
    layer = _layer(under_full_image_page(tmp_path).path)
    assert layer.verdict == TextLayerVerdict.OCR_LAYER  # a hint at most; the image is read


def test_hidden_line_kinds_are_counted_together(tmp_path: Path) -> None:
    path = hidden_page(tmp_path, "white").path
    with pymupdf.open(path) as document:
        page = document[0]
        page.insert_text((72, 450), HIDDEN_LINE, fontname="helv", fontsize=0.4)
        document.save(tmp_path / "two.pdf")
    layer = _layer(tmp_path / "two.pdf")
    assert _lines(layer.text) == list(ENGLISH)
    assert layer.doubts[0].warning == "hidden text left out: 2 lines (white on white, under 1 pt)"


SCRIPTS = {
    "en": "Latin",
    "fr": "Latin",
    "de": "Latin",
    "es": "Latin",
    "ru": "Cyrillic",
    "el": "Greek",
    "ar": "Arabic",
    "he": "Hebrew",
    "zh": "Han",
    "ja": "Japanese",
    "th": "Thai",
    "hi": "Devanagari",
}


@pytest.mark.parametrize("language", list(PROSE))
def test_honest_prose_in_each_script_is_usable_and_exact(tmp_path: Path, language: str) -> None:
    built = honest_page(tmp_path, f"prose_{language}", PROSE[language])
    if built is None:
        pytest.skip(f"no font here draws {SCRIPTS[language]}")
    layer = _layer(built.path)
    assert layer.verdict == TextLayerVerdict.USABLE and layer.doubts == ()
    assert layer.script == SCRIPTS[language]
    with pymupdf.open(built.path) as document:
        assert _lines(layer.text) == _lines(document[0].get_text())  # the layer, unchanged
    assert len(layer.words) >= len(PROSE[language])


@pytest.mark.parametrize("shape", list(SHAPES))
def test_honest_shapes_with_few_words_are_usable_and_exact(tmp_path: Path, shape: str) -> None:
    built = honest_page(tmp_path, f"shape_{shape}", SHAPES[shape])
    assert built is not None
    layer = _layer(built.path)
    assert layer.verdict == TextLayerVerdict.USABLE and layer.doubts == ()
    assert _lines(layer.text) == _lines("\n".join(SHAPES[shape]))


def test_honest_colours_watermarks_and_see_through_boxes_hide_nothing(tmp_path: Path) -> None:
    built = styled_honest_page(tmp_path)
    layer = _layer(built.path)
    assert layer.verdict == TextLayerVerdict.USABLE and layer.doubts == ()
    assert sorted(_lines(layer.text)) == sorted(built.drawn)


@pytest.mark.corpus
def test_the_corpus_lying_layers_are_not_used(corpus: Path) -> None:
    pdfs = corpus / "pdfs"
    assert _layer(pdfs / "nonlatin_arabic_multiscript.pdf").verdict == TextLayerVerdict.GARBLED
    assert not _layer(pdfs / "scanned_jbig2_ocr_cyrillic.pdf").usable
    for name, script in [("nonlatin_chinese_tables.pdf", "Han"), ("form_libreoffice.pdf", "Latin")]:
        layer = _layer(pdfs / name)
        assert layer.usable and layer.script == script and layer.doubts == ()
