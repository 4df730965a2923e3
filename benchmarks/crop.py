"""Margins cropped before sizing (`--crop-margins`): image tokens per page and legibility kept.

Each page is sized by the Pixtral profile at the default budget, as the harness does, three
ways: whole (today); cropped to its content box at the same budget (more pixels on the text);
and cropped at the whole page's pixel density (fewer tokens, same pixels on the text). "Cropped,
profile's size" is the box fitted by the profile alone (its longest side at the profile's
limit), "same tokens" the box capped at the whole page's tokens (`size_pages(whole_sizes=)`).
Legibility: the embedded engine's character error rate on the image sent (JPEG as sent)
against the ground truth: the corpus's two Tesseract scans (`.txt`), generated letter pages
with margins (the text drawn; their 300-DPI rendering read by the same engine is the ceiling),
and SROIE receipts (word F1 against their lines, as benchmarks/ocr_quality.py). The layout's
cost of finding the boxes is timed against the layout without them.

    PYTHONPATH=. .venv/bin/python benchmarks/crop.py
"""

import io
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import _WORDS, CORPUS, Measurement, print_measurements

# isort: split

import pymupdf
from ocr_text import character_error_rate, sroie_lines, word_f1
from PIL import Image

from extractors.load.identify import identify
from extractors.load.reader import DocumentReader
from extractors.offline.engine import OcrEngine
from extractors.options import BudgetOptions, RenderOptions, TextLayerMode
from extractors.plan.profiles.pixtral import PixtralProfile
from extractors.plan.sizing import size_page, whole_page_budget
from extractors.records import PlannedPage

PROFILE = PixtralProfile()
BUDGET = BudgetOptions().image_budget
RECEIPTS = 8
LETTERS = 4
WAYS = ("whole", "cropped, profile's size", "cropped, same tokens", "cropped, same density")


@dataclass(frozen=True)
class Sent:
    """One way of sending a page: its tokens, pixels per inch of the page, and the image."""

    tokens: int
    density: float
    image: Image.Image


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


def sent_ways(path: Path) -> dict[str, Sent]:
    """The page sent whole, cropped at the same budget, and cropped at the whole's density."""
    source = identify(path)
    whole = DocumentReader(source, RenderOptions(), None)
    cropped = DocumentReader(source, RenderOptions(crop_margins=True), None)
    try:
        whole_size = whole.layout().page_sizes[0]
        layout = cropped.layout()
        box_size = layout.page_sizes[0]
        plan = size_page(1, *whole_size, PROFILE, BUDGET)
        density = plan.width / whole_size[0]
        dense = size_page(1, *(round(side * density) for side in box_size), PROFILE, BUDGET)
        same = whole_page_budget(whole_size, PROFILE, BUDGET)
        plans = (
            (whole, plan),
            (cropped, size_page(1, *box_size, PROFILE, BUDGET)),
            (cropped, size_page(1, *box_size, PROFILE, same)),
            (cropped, dense),
        )
        return {way: _sent(*plan_of) for way, plan_of in zip(WAYS, plans, strict=True)}
    finally:
        whole.close()
        cropped.close()


def _sent(reader: DocumentReader, plan: PlannedPage) -> Sent:
    drawn = reader.render(plan, False)
    image = Image.open(io.BytesIO(drawn.data)).convert("RGB")
    share = 1.0 if drawn.crop is None else drawn.crop.x1 - drawn.crop.x0
    # Pixels the page's whole width would have at this scale: the density on the text.
    return Sent(plan.image_tokens, plan.width / share, image)


def _pages() -> list[tuple[str, Path, str | list[str]]]:
    """(name, path, truth: text, or a receipt's lines) of every page measured."""
    folder = Path(tempfile.mkdtemp(prefix="crop-bench-"))
    pages: list[tuple[str, Path, str | list[str]]] = []
    for seed in range(LETTERS):
        path = folder / f"letter_{seed}.pdf"
        pages.append((path.name, path, letter(path, seed)))
    if (CORPUS / "images").is_dir():
        for name in ("doc_phototest.tif", "doc_eurotext.tif"):
            path = CORPUS / "images" / name
            pages.append((name, path, path.with_suffix(".txt").read_text(encoding="utf-8")))
        for path in sorted((CORPUS / "receipts").glob("*.jpg"))[:RECEIPTS]:
            pages.append((path.name, path, sroie_lines(path)))
    return pages


def legibility(engine: OcrEngine, image: Image.Image, truth: str | list[str]) -> float:
    """CER against a text (lower is better), or word F1 against a receipt's lines (higher)."""
    text = engine.transcribe(image)
    if isinstance(truth, str):
        return character_error_rate(text, truth)
    return word_f1(text.splitlines(), truth)


def ceiling(engine: OcrEngine, path: Path, truth: str) -> float:
    """The engine's CER on the page drawn at 300 DPI, whole: the best it reads it."""
    with pymupdf.open(path) as document:
        pixmap = document[0].get_pixmap(dpi=300, colorspace=pymupdf.csRGB)
    image = Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)
    return character_error_rate(engine.transcribe(image), truth)


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


def measure_page(
    engine: OcrEngine, name: str, path: Path, truth: str | list[str]
) -> tuple[str, dict[str, Sent]]:
    ways = sent_ways(path)
    kind = "CER" if isinstance(truth, str) else "F1"
    cells = [
        f"{way}: {s.tokens} tok, {s.density:.0f} px/page-width, {s.image.width}x"
        f"{s.image.height}, {kind} {legibility(engine, s.image, truth):.4f}"
        for way, s in ways.items()
    ]
    if path.suffix == ".pdf" and isinstance(truth, str):
        cells.append(f"300 DPI ceiling CER {ceiling(engine, path, truth):.4f}")
    extra = layout_ms(path, True) - layout_ms(path, False)
    cells.append(f"box +{extra:.1f} ms")
    return f"{name} | " + " | ".join(cells), ways


def measure() -> list[Measurement]:
    engine = OcrEngine()
    totals = {way: 0 for way in WAYS}
    pages = _pages()
    for name, path, truth in pages:
        line, ways = measure_page(engine, name, path, truth)
        print(line, flush=True)
        for way, sent in ways.items():
            totals[way] += sent.tokens
    base = totals["whole"] / len(pages)
    return [
        Measurement(
            "crop",
            f"image tokens per page, {way}",
            totals[way] / len(pages),
            base,
            "",
            None,
            f"{totals[way] / len(pages):.0f} per page over {len(pages)} pages",
        )
        for way in WAYS
    ]


def main() -> None:
    print_measurements(measure())


if __name__ == "__main__":
    sys.exit(main())
