"""A PDF page's own text layer: read in reading order, and judged whether it stands for the page.

Measured (benchmarks/text_layer.py): PyMuPDF's blocks in reading order cost 0.4-7 ms a page and
keep every character of the layer; pymupdf4llm's Markdown kept as many but took ~700 times as
long (7 s a page on the IRS 1040 form) and prints on stdout. So the text is PyMuPDF's own,
block by block, top to bottom; the row's text is that text as Markdown (extractors/load/layer/
markdown.py: headings from font size and weight, paragraphs, lists), built from the same visible
spans, while the judge, the hints and the words keep the plain text.

A layer stands for the page only by what is visibly drawn: hidden text (white on white, under
1 pt, covered, invisible or transparent on a page that is not a scan) is left out of the text
and said in a doubt (extractors/load/layer/hidden_text.py), and visible text that reads as no
language is garbled (extractors/load/layer/garbled.py). Measured in benchmarks/layer_judge.py.

A dry run needs only the verdict and the text: `judge_text_layer` gives the same, without the
words and the Markdown, and runs the hidden-text trace only where a cheaper pass over what the
page paints cannot rule hidden text out (extractors/load/layer/span_screen.py): 0.27-0.34 of
`read_text_layer`'s CPU on dense text pages (benchmarks/dry_run.py).
"""

import re
from dataclasses import dataclass, replace

import pymupdf

from extractors.load.layer.garbled import garbled_reason
from extractors.load.layer.hidden_text import CharKey, HiddenText, find_hidden_text
from extractors.load.layer.markdown import page_markdown
from extractors.load.layer.span_screen import may_hide_text
from extractors.load.layer.visible_text import (
    all_words,
    raw_blocks,
    span_blocks,
    visible_span_blocks,
    visible_text,
    visible_words,
)
from extractors.load.scripts import main_script
from extractors.records import PageWord, TextLayer
from extractors.trust import Doubt
from schemas.text_layer import TextLayerVerdict

# A page this much under images is a scan (or a photo) unless its text says otherwise.
_SCAN_COVERAGE = 0.5
# Over a scan, fewer characters than this are labels (a stamp, a page number), not the page.
_SCAN_MIN_CHARS = 200
# Text not painted (invisible, transparent) or under the image, over a scan, is an old OCR
# when it is most of the text.
_INVISIBLE_SHARE = 0.5
# Fonts without a Unicode map give U+FFFD or symbols instead of letters.
_MAX_UNMAPPED_SHARE = 0.02
_MIN_LETTER_SHARE = 0.3
# Form leaders and rules (`Name: ______`, `Total ........ 12`) are drawn, but are not words.
_LEADER = re.compile("[_.\\-\u2026\u2014\u2013\u2500]")
_UNMAPPED = re.compile("[\ufffd\ue000-\uf8ff]")
_SPACE = re.compile(r"\s")
# Pages with fewer characters go straight to the hidden-text trace (see `_hidden_text`).
_SCREEN_MIN_CHARS = 500
# A row made from a layer with hidden text left out: the page says something it does not show.
_HIDDEN_FACTOR = 0.9


def read_text_layer(page: pymupdf.Page) -> TextLayer:
    """The page's visible text in reading order, its verdict, and the figures behind it."""
    judged = _judged(page, screen=False)
    if not judged.layer.usable:
        return judged.layer
    words, markdown = _words_and_markdown(judged.textpage, judged.raw, judged.hidden)
    return replace(judged.layer, words=words, markdown=markdown)


def judge_text_layer(page: pymupdf.Page) -> TextLayer:
    """What `read_text_layer` gives but the words and the Markdown, which only shape a row's
    text: the same verdict, text and figures, for a dry run that only counts. The hidden-text
    trace runs only where a cheaper pass cannot rule hidden text out (layer/span_screen.py)."""
    return _judged(page, screen=True).layer


def _hidden_text(page: pymupdf.Page, images: list[dict], chars: int, screen: bool) -> HiddenText:
    """The trace's finding; with `screen`, none where the screen rules hidden text out (what
    the trace would find). Under a few hundred characters the trace costs no more than the
    screen (measured on the corpus PDFs: 0.95 and 0.75 ms a page), so it runs at once."""
    if screen and chars >= _SCREEN_MIN_CHARS and not may_hide_text(page, chars):
        return HiddenText()
    return find_hidden_text(page, images)


@dataclass(frozen=True)
class _Judged:
    """A judged layer, and what its words and Markdown are built from when it is usable."""

    layer: TextLayer
    textpage: pymupdf.TextPage
    raw: list[dict]
    hidden: frozenset[CharKey]


def _judged(page: pymupdf.Page, screen: bool) -> _Judged:
    textpage = page.get_textpage()
    blocks = page.get_text("blocks", sort=True, textpage=textpage)
    text = "\n\n".join(block[4].strip() for block in blocks if block[6] == 0 and block[4].strip())
    images = page.get_image_info()
    coverage = _image_coverage(page, images)
    shown = round(coverage, 3)  # the figure kept; the verdict is judged on the exact share
    if not _chars(text):
        return _Judged(TextLayer(TextLayerVerdict.NONE, 0, shown, text), textpage, [], frozenset())
    if _unreadable(text):
        layer = TextLayer(TextLayerVerdict.GARBLED, _chars(text), shown, text)
        return _Judged(layer, textpage, [], frozenset())
    hidden = _hidden_text(page, images, _chars(text), screen)
    if coverage >= _SCAN_COVERAGE and hidden.ocr_like_share() >= _INVISIBLE_SHARE:
        layer = TextLayer(TextLayerVerdict.OCR_LAYER, _chars(text), shown, text)
        return _Judged(layer, textpage, [], hidden.keys)
    raw = raw_blocks(textpage) if hidden.keys else []
    if hidden.keys:
        text = visible_text(raw, hidden.keys)
    doubts = (Doubt(hidden.warning(), _HIDDEN_FACTOR),) if hidden.lines else ()
    chars, script = _chars(text), main_script(text)
    verdict = _verdict(text, chars, coverage, script, bool(hidden.keys))
    layer = TextLayer(verdict, chars, shown, text, doubts, script)
    return _Judged(layer, textpage, raw, hidden.keys)


def _words_and_markdown(
    textpage: pymupdf.TextPage, raw: list[dict], hidden: frozenset[CharKey]
) -> tuple[tuple[PageWord, ...], str]:
    """A usable layer's visible words with their boxes, and its visible text as Markdown."""
    if hidden:
        return visible_words(raw, hidden), page_markdown(visible_span_blocks(raw, hidden))
    return all_words(textpage), page_markdown(span_blocks(textpage))


def _verdict(
    text: str, chars: int, coverage: float, script: str | None, hidden: bool
) -> TextLayerVerdict:
    if chars == 0:
        return TextLayerVerdict.NONE
    if hidden and _unreadable(text):  # the whole layer was checked before
        return TextLayerVerdict.GARBLED
    if coverage >= _SCAN_COVERAGE and chars < _SCAN_MIN_CHARS:
        return TextLayerVerdict.SCAN_LABELS
    if garbled_reason(text, script) is not None:
        return TextLayerVerdict.GARBLED
    return TextLayerVerdict.USABLE


def _unreadable(text: str) -> bool:
    """Glyphs without a Unicode map: U+FFFD or private-use codes, or too few letters."""
    chars = _chars(text)
    unmapped = len(_UNMAPPED.findall(text))
    letters = sum(map(str.isalnum, text))
    written = chars - len(_LEADER.findall(text))
    return unmapped / chars > _MAX_UNMAPPED_SHARE or letters / max(1, written) < _MIN_LETTER_SHARE


def _chars(text: str) -> int:
    return len(text) - len(_SPACE.findall(text))


def _image_coverage(page: pymupdf.Page, images: list[dict]) -> float:
    """Share of the page under images (overlaps counted once each, capped at the page)."""
    area = abs(page.rect)
    if not area:
        return 0.0
    covered = sum(abs(pymupdf.Rect(info["bbox"]) & page.rect) for info in images)
    return min(1.0, covered / area)
