"""Margins cropped before sizing (`--crop-margins`): image tokens per page against what zerox
sends for the same page, and legibility kept.

Each page is sized by the Pixtral profile at the default budget, as the harness does, four
ways: whole (today); cropped to its content box, fitted by the profile alone (its longest side
at the profile's limit); cropped and capped at the whole page's tokens (`size_pages(
whole_sizes=)`: what `--crop-margins` sends); and cropped at the whole page's pixel density
(fewer tokens, the same pixels on the text). Beside them, zerox's image of the page: py-zerox
draws a PDF page at 300 DPI scaled to 1056 px high (pdf2image `size=(None, 1056)`, PNG; drawn
here by PyMuPDF at that size) and sends an image as it is; its tokens are the profile's on the
size Pixtral takes it at (shrunk to fit 1024 px).

Page sets: the harness-like pages (the fault-mix inputs the slow test and benchmarks run:
12 pages of a marked PDF and 8 marked images), the pages measured before (generated letters
with margins, the corpus's two Tesseract scans, SROIE receipts) and the first page of every
corpus PDF that opens without a password.

Legibility: the embedded engine on the image sent (JPEG as sent; zerox's as Pixtral takes it)
against a truth: a letter's text as drawn, a scan's `.txt`, a receipt's lines (word F1, as
benchmarks/ocr_quality.py), and for a corpus PDF the engine's reading of its 300-DPI rendering.
The marked pages carry no text: their legibility is the share of their ink left outside the
box (0: nothing cut). The engine's CER flips on single lines with a pixel's change of scale or
offset, whole or cropped alike (letter 2's one garbled line when cropped is read right a
pixel wider, and garbled on the whole page drawn 1160 px wide; zerox's letter 3 garbles one):
read a CER of a few hundredths on one page as noise, a set's mean as the signal.

    PYTHONPATH=. .venv/bin/python benchmarks/crop.py [--tokens-only] [--set NAME] [--page NAME]
"""

import argparse
import io
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import _WORDS, CORPUS, Measurement, print_measurements

# isort: split

import numpy as np
import pymupdf
from fault_mix import make_fault_mix_inputs
from ocr_text import character_error_rate, normalised, sroie_lines, word_f1
from PIL import Image, ImageOps

from extractors.discover.formats import PDF
from extractors.errors import PageDoesNotFitError, SourceError
from extractors.load.glyph_size import small_print_height
from extractors.load.identify import identify
from extractors.load.reader import DocumentReader
from extractors.offline.engine import OcrEngine
from extractors.options import BudgetOptions, RenderOptions, TextLayerMode
from extractors.plan.profiles.pixtral import PixtralProfile
from extractors.plan.sizing import size_page, whole_page_budget
from extractors.records import Box, PlannedPage

PROFILE = PixtralProfile()
BUDGET = BudgetOptions().image_budget
RECEIPTS = 8
LETTERS = 4
MARKED_PDF_PAGES = 12
MARKED_IMAGES = 8
# py-zerox: pdf2image at 300 DPI, size=(None, 1056).
ZEROX_HEIGHT = 1056
# The 300-DPI reference rendering of a corpus PDF page, its longest side capped (an A0 page).
REFERENCE_DPI = 300
REFERENCE_MAX_SIDE = 4000
WAYS = ("whole", "cropped, profile's size", "cropped, same tokens", "cropped, same density")
# `--min-glyph-px` on top of `--crop-margins`: the cropped page shrunk while its small print
# keeps this many pixels of height (more values with --glyph-px).
GLYPH_PX = (8,)
ZEROX = "zerox"
# A change of legibility from the whole page's smaller than this is not counted.
NOTICED = 0.01
# What each page set is called on the command line, and in the table.
SETS = {
    "harness": "harness-like (fault mix)",
    "before": "letters, scans, receipts",
    "pdfs": "corpus PDFs' first pages",
}

# A page's truth: a text (CER), a receipt's lines (word F1), or None: a marked page (ink cut).
Truth = str | list[str] | None


@dataclass(frozen=True)
class Sent:
    """One way of sending a page: its tokens, pixels per inch of the page, and the image."""

    tokens: int
    density: float
    image: Image.Image


@dataclass(frozen=True)
class PageCase:
    """One page measured: its set, name, file, number, and how its truth is had."""

    set_name: str
    name: str
    path: Path
    number: int
    truth: Callable[[OcrEngine], Truth]


@dataclass(frozen=True)
class PageResult:
    set_name: str
    tokens: dict[str, int]
    # CER (lower is better), word F1 (higher), or ink cut (lower); None: not measured.
    legibility: dict[str, float | None]
    kind: str


def letter(path: Path, seed: int) -> str:
    """A one-page business letter with 1-inch margins; its text, as drawn."""
    rng = random.Random(seed)
    lines = ["ACME SUPPLIES LTD", "12 Harbour Road, Leeds", "", "Invoice query, reference 4471"]
    lines += [" ".join(rng.choice(_WORDS) for _ in range(11)).capitalize() for _ in range(24)]
    lines += ["", "Yours faithfully,", "J. Smith"]
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    for number, text in enumerate(lines):
        page.insert_text((72, 96 + 15 * number), text, fontsize=11)
    document.save(str(path))
    document.close()
    return "\n".join(line for line in lines if line)


def glyph_way(px: int) -> str:
    return f"cropped, print at {px} px"


def sent_ways(
    path: Path, number: int = 1, glyph_px: tuple[int, ...] = GLYPH_PX
) -> tuple[dict[str, Sent], Box | None]:
    """The page sent whole, cropped at the profile's size, at the whole's tokens and at the
    whole's density, and cropped then shrunk to each small-print height; and its content box."""
    source = identify(path)
    whole = DocumentReader(source, RenderOptions(), None)
    cropped = DocumentReader(source, RenderOptions(crop_margins=True), None)
    try:
        whole_size = whole.layout().page_sizes[number - 1]
        layout = cropped.layout()
        box_size = layout.page_sizes[number - 1]
        plan = size_page(number, *whole_size, PROFILE, BUDGET)
        density = plan.width / whole_size[0]
        dense_width, dense_height = (round(side * density) for side in box_size)
        dense = size_page(number, dense_width, dense_height, PROFILE, BUDGET)
        same = whole_page_budget(whole_size, PROFILE, BUDGET)
        plans = (
            (whole, plan),
            (cropped, size_page(number, *box_size, PROFILE, BUDGET)),
            (cropped, size_page(number, *box_size, PROFILE, same)),
            (cropped, dense),
        )
        ways = {way: _sent(*plan_of) for way, plan_of in zip(WAYS, plans, strict=True)}
        for px in glyph_px:
            shrinking = DocumentReader(
                source, RenderOptions(crop_margins=True, min_glyph_px=px), None
            )
            try:
                ways[glyph_way(px)] = _sent(shrinking, plans[2][1])
            finally:
                shrinking.close()
        return ways, layout.content_boxes[number - 1]
    finally:
        whole.close()
        cropped.close()


def _sent(reader: DocumentReader, plan: PlannedPage) -> Sent:
    drawn = reader.render(plan, False)
    image = Image.open(io.BytesIO(drawn.data)).convert("RGB")
    share = 1.0 if drawn.crop is None else drawn.crop.x1 - drawn.crop.x0
    # Pixels the page's whole width would have at this scale: the density on the text. The
    # tokens are of the image drawn (`--min-glyph-px` may send it smaller than planned).
    return Sent(PROFILE.image_tokens(drawn.width, drawn.height), drawn.width / share, image)


def zerox_sent(path: Path, number: int) -> Sent:
    """What zerox sends for the page, its tokens, and the image as Pixtral takes it."""
    if identify(path).format == PDF:
        with pymupdf.open(path) as document:
            page = document[number - 1]
            scale = ZEROX_HEIGHT / page.rect.height
            pixmap = page.get_pixmap(
                matrix=pymupdf.Matrix(scale, scale), colorspace=pymupdf.csRGB, alpha=False
            )
        image = Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)
    else:
        with Image.open(path) as opened:
            opened.seek(number - 1)
            image = ImageOps.exif_transpose(opened).convert("RGB")
    taken = PROFILE.fit(*image.size)
    tokens = PROFILE.image_tokens(*image.size)
    if taken != image.size:
        image = image.resize(taken, Image.Resampling.BICUBIC)
    return Sent(tokens, float(image.width), image)


def reference_text(engine: OcrEngine, path: Path, number: int) -> str:
    """The engine's reading of the page drawn at 300 DPI (longest side capped), whole."""
    with pymupdf.open(path) as document:
        page = document[number - 1]
        scale = min(REFERENCE_DPI / 72, REFERENCE_MAX_SIDE / max(page.rect.width, page.rect.height))
        pixmap = page.get_pixmap(
            matrix=pymupdf.Matrix(scale, scale), colorspace=pymupdf.csRGB, alpha=False
        )
    return engine.transcribe(Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples))


def _cases(sets: list[str]) -> list[PageCase]:
    """Every page measured, set by set."""
    folder = Path(tempfile.mkdtemp(prefix="crop-bench-"))
    cases: list[PageCase] = []
    if "harness" in sets:
        cases += _harness_cases(folder / "mix")
    if "before" in sets:
        cases += _before_cases(folder)
    if "pdfs" in sets and (CORPUS / "pdfs").is_dir():
        for path in sorted((CORPUS / "pdfs").glob("*.pdf")):
            cases.append(PageCase("pdfs", path.name, path, 1, _rendered(path)))
    return cases


def _harness_cases(folder: Path) -> list[PageCase]:
    """The first pages of the fault mix: a marked PDF's and a few marked images."""
    make_fault_mix_inputs(folder)
    path = folder / "doc_1.pdf"
    cases = [
        PageCase("harness", f"{path.name} p{number}", path, number, _no_text)
        for number in range(1, MARKED_PDF_PAGES + 1)
    ]
    for index in range(11, 11 + MARKED_IMAGES):
        image = folder / f"img_{index}.jpg"
        cases.append(PageCase("harness", image.name, image, 1, _no_text))
    return cases


def _before_cases(folder: Path) -> list[PageCase]:
    """The pages measured first: generated letters, the two scans, a few receipts."""
    cases = []
    for seed in range(LETTERS):
        path = folder / f"letter_{seed}.pdf"
        cases.append(PageCase("before", path.name, path, 1, _given(letter(path, seed))))
    if not (CORPUS / "images").is_dir():
        return cases
    for name in ("doc_phototest.tif", "doc_eurotext.tif"):
        path = CORPUS / "images" / name
        text = path.with_suffix(".txt").read_text(encoding="utf-8")
        cases.append(PageCase("before", name, path, 1, _given(text)))
    for path in sorted((CORPUS / "receipts").glob("*.jpg"))[:RECEIPTS]:
        cases.append(PageCase("before", path.name, path, 1, _given(sroie_lines(path))))
    return cases


def _no_text(engine: OcrEngine) -> Truth:
    return None


def _given(truth: Truth) -> Callable[[OcrEngine], Truth]:
    return lambda engine: truth


def _rendered(path: Path) -> Callable[[OcrEngine], Truth]:
    return lambda engine: reference_text(engine, path, 1)


def legibility(engine: OcrEngine, image: Image.Image, truth: str | list[str]) -> float:
    """CER against a text (lower is better), or word F1 against a receipt's lines (higher)."""
    text = engine.transcribe(image)
    if isinstance(truth, str):
        return character_error_rate(text, truth)
    return word_f1(text.splitlines(), truth)


def ink_cut(whole: Image.Image, box: Box | None) -> float:
    """Share of the whole image's ink (clearly darker than white) outside the content box."""
    ink = np.asarray(whole.convert("L")) < 128
    if box is None or not ink.any():
        return 0.0
    height, width = ink.shape
    inside = ink[
        int(box.y0 * height) : int(np.ceil(box.y1 * height)),
        int(box.x0 * width) : int(np.ceil(box.x1 * width)),
    ]
    return 1 - inside.sum() / ink.sum()


def layout_ms(path: Path, crop: bool, rounds: int = 3) -> float:
    """Best of a few layout reads, in ms (text layer off: the box's own cost)."""
    options = RenderOptions(crop_margins=crop, text_layer=TextLayerMode.OFF)
    best = float("inf")
    for _ in range(rounds):
        reader = DocumentReader(identify(path), options, None)
        started = time.perf_counter()
        reader.layout()
        best = min(best, time.perf_counter() - started)
        reader.close()
    return best * 1000


def print_ms(image: Image.Image, rounds: int = 5) -> float:
    """Median time to measure a drawn page's small print (`--min-glyph-px`), in ms."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        small_print_height(image)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure_page(
    engine: OcrEngine | None, case: PageCase, glyph_px: tuple[int, ...] = GLYPH_PX
) -> PageResult | None:
    """The page's tokens and legibility each way (None: it cannot be read or sent)."""
    try:
        ways, box = sent_ways(case.path, case.number, glyph_px)
    except (SourceError, PageDoesNotFitError) as exc:
        print(f"{case.name} | skipped: {exc}", flush=True)
        return None
    ways[ZEROX] = zerox_sent(case.path, case.number)
    truth = None if engine is None else case.truth(engine)
    kind, scores = _legibility(engine, ways, box, truth)
    cells = [
        f"{way}: {s.tokens} tok ({s.tokens / ways[ZEROX].tokens:.2f}x zerox), "
        f"{s.density:.0f} px/page-width, {s.image.width}x{s.image.height}"
        + ("" if scores[way] is None else f", {kind} {scores[way]:.4f}")
        for way, s in ways.items()
    ]
    extra = layout_ms(case.path, True) - layout_ms(case.path, False)
    cells.append(f"box {box} +{extra:.1f} ms")
    cells.append(f"print measured in {print_ms(ways['cropped, same tokens'].image):.1f} ms")
    print(f"{SETS[case.set_name]} | {case.name} | " + " | ".join(cells), flush=True)
    return PageResult(case.set_name, {w: s.tokens for w, s in ways.items()}, scores, kind)


def _legibility(
    engine: OcrEngine | None, ways: dict[str, Sent], box: Box | None, truth: Truth
) -> tuple[str, dict[str, float | None]]:
    if engine is None:
        return "", dict.fromkeys(ways)
    if truth is None:
        cut = ink_cut(ways["whole"].image, box)
        return "ink cut", {w: 0.0 if w in ("whole", ZEROX) else cut for w in ways}
    if isinstance(truth, str) and not normalised(truth):
        return "CER", dict.fromkeys(ways)  # a reference with no text: nothing to compare
    kind = "CER" if isinstance(truth, str) else "F1"
    # Ways that send the same pixels (no box, or a box the profile fits as the cap does) are
    # read once.
    read: dict[bytes, float] = {}
    scores: dict[str, float | None] = {}
    for way, sent in ways.items():
        pixels = sent.image.tobytes() + repr(sent.image.size).encode()
        if pixels not in read:
            read[pixels] = legibility(engine, sent.image, truth)
        scores[way] = read[pixels]
    return kind, scores


def summary(results: list[PageResult], glyph_px: tuple[int, ...] = GLYPH_PX) -> list[Measurement]:
    """Per set and way: tokens per page against zerox's, and the mean legibility."""
    lines = []
    for set_name, title in SETS.items():
        pages = [r for r in results if r.set_name == set_name]
        if not pages:
            continue
        zerox = sum(r.tokens[ZEROX] for r in pages) / len(pages)
        for way in (*WAYS, *map(glyph_way, glyph_px), ZEROX):
            tokens = sum(r.tokens[way] for r in pages) / len(pages)
            halved = sum(r.tokens[way] <= 0.5 * r.tokens[ZEROX] for r in pages)
            note = f"{tokens:.0f} vs zerox's {zerox:.0f} per page, {len(pages)} pages, "
            note += f"{halved} at <= 0.5x; " + _mean_legibility(pages, way)
            lines.append(
                Measurement("crop", f"{title}: tokens / zerox's, {way}", tokens, zerox, note=note)
            )
    return lines


def _mean_legibility(pages: list[PageResult], way: str) -> str:
    """Mean and median legibility of the way, and on how many pages it reads worse (or
    better) than the whole page by more than NOTICED."""
    parts = []
    for kind, sign in (("CER", 1), ("F1", -1), ("ink cut", 1)):
        pairs = [
            (score, r.legibility["whole"])
            for r in pages
            if r.kind == kind and (score := r.legibility[way]) is not None
        ]
        if not pairs:
            continue
        scores = [score for score, _ in pairs]
        part = f"{kind} mean {statistics.fmean(scores):.4f} median {statistics.median(scores):.4f}"
        if way != "whole":
            worse = sum(
                sign * (score - whole) > NOTICED for score, whole in pairs if whole is not None
            )
            better = sum(
                sign * (whole - score) > NOTICED for score, whole in pairs if whole is not None
            )
            part += f", worse than whole on {worse}, better on {better}"
        parts.append(f"{part} ({len(pairs)} pages)")
    return "; ".join(parts) or "legibility not measured"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens-only", action="store_true", help="no engine readings")
    parser.add_argument("--set", action="append", choices=list(SETS), dest="sets")
    parser.add_argument("--page", action="append", dest="pages", help="only this page (name)")
    parser.add_argument(
        "--glyph-px", action="append", type=int, help=f"--min-glyph-px values (default {GLYPH_PX})"
    )
    arguments = parser.parse_args()
    engine = None if arguments.tokens_only else OcrEngine()
    cases = _cases(arguments.sets or list(SETS))
    if arguments.pages:
        cases = [case for case in cases if case.name in arguments.pages]
    glyph_px = tuple(arguments.glyph_px or GLYPH_PX)
    results = [r for case in cases if (r := measure_page(engine, case, glyph_px)) is not None]
    print_measurements(summary(results, glyph_px))


if __name__ == "__main__":
    main()
