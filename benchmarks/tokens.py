"""Bytes and image tokens per page of the shared corpus, against a naive 300-DPI PNG.

For every readable file of ../shared/corpus (PDFs: their first pages; images: their first
frames; the SROIE receipts), the page as the pipeline sends it (sized to the Pixtral budget,
JPEG) against the page as a naive pipeline sends it (PDFs rendered at 300 DPI, images at their
own size, PNG: what zerox does). Pages over 40 Mpx at 300 DPI are left out of the naive side,
which could not send them anyway.

    .venv/bin/python benchmarks/tokens.py
"""

import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import CORPUS, Measurement, print_measurements

# isort: split

import pymupdf
from PIL import Image, ImageOps

from extractors.discover.formats import PDF, SVG
from extractors.errors import SourceError
from extractors.load.identify import UnreadSourceError, identify
from extractors.load.reader import DocumentReader
from extractors.options import BudgetOptions, RenderOptions
from extractors.plan.profiles.pixtral import PixtralProfile
from extractors.plan.sizing import size_page

PROFILE = PixtralProfile()
BUDGET = BudgetOptions()
PAGES_PER_DOCUMENT = 2
NAIVE_DPI = 300
NAIVE_MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class PageCost:
    sent_bytes: int
    tokens: int
    naive_bytes: int
    naive_tokens: int


def corpus_files() -> list[Path]:
    folders = [CORPUS / "pdfs", CORPUS / "images", CORPUS / "receipts"]
    skip = {".txt", ".json", ".csv", ".md"}
    return sorted(
        path
        for folder in folders
        if folder.is_dir()
        for path in folder.iterdir()
        if path.is_file() and path.suffix.lower() not in skip
    )


def page_costs(path: Path) -> Iterator[PageCost]:
    """Each of the first pages the pipeline can read, with what both pipelines would send."""
    try:
        source = identify(path)
    except UnreadSourceError:
        return
    reader = DocumentReader(source, RenderOptions(), None)
    try:
        layout = reader.layout()
        for number, (width, height) in enumerate(layout.page_sizes[:PAGES_PER_DOCUMENT], 1):
            planned = size_page(number, width, height, PROFILE, BUDGET.image_budget)
            try:
                sent = reader.render(planned, PROFILE.pad_to_square)
            except SourceError:
                continue
            naive = _naive_png(path, source.format, number)
            if naive is None:
                continue
            naive_bytes, naive_width, naive_height = naive
            yield PageCost(
                len(sent.data),
                planned.image_tokens,
                naive_bytes,
                PROFILE.image_tokens(naive_width, naive_height),
            )
    except SourceError:
        return
    finally:
        reader.close()


def _naive_png(path: Path, kind: str, number: int) -> tuple[int, int, int] | None:
    """(PNG bytes, width, height) of the page at 300 DPI (PDF) or its own size (image)."""
    buffer = io.BytesIO()
    if kind in (PDF, SVG):
        with pymupdf.open(str(path)) as document:
            page = document[number - 1]
            scale = NAIVE_DPI / 72
            if page.rect.width * page.rect.height * scale * scale > NAIVE_MAX_PIXELS:
                return None
            pixmap = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), alpha=False)
            image = Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)
    else:
        with Image.open(path) as opened:
            if opened.width * opened.height > NAIVE_MAX_PIXELS:
                return None
            opened.seek(number - 1)
            image = ImageOps.exif_transpose(opened).convert("RGB")
            image.info.clear()  # a palette's transparency entry means nothing in RGB
    image.save(buffer, format="PNG")
    return len(buffer.getvalue()), image.width, image.height


def measure() -> list[Measurement]:
    files = corpus_files()
    if not files:
        return [Measurement("tokens", "skipped: ../shared/corpus is missing", 0.0)]
    costs = [cost for path in files for cost in page_costs(path)]
    pages = len(costs)
    sent = sum(c.sent_bytes for c in costs) / pages
    naive = sum(c.naive_bytes for c in costs) / pages
    most_tokens = max(c.tokens for c in costs)
    model_max = PROFILE.image_tokens(PROFILE.max_side, PROFILE.max_side)
    mean_tokens = sum(c.tokens for c in costs) / pages
    naive_tokens = sum(c.naive_tokens for c in costs) / pages
    return [
        Measurement(
            "bytes",
            "bytes per page, sent / naive 300-DPI PNG",
            sent,
            naive,
            "<= 0.25",
            sent / naive <= 0.25,
            f"{pages} pages of {len(files)} corpus files; {sent / 1024:.0f} KB against "
            f"{naive / 1024:.0f} KB per page",
        ),
        Measurement(
            "tokens",
            "image tokens of a page, most / Pixtral's maximum",
            float(most_tokens),
            float(model_max),
            "<= 1.0",
            most_tokens <= model_max,
            f"mean {mean_tokens:.0f} tokens per page; the naive pages would cost "
            f"{naive_tokens:.0f} once the model shrinks them (it keeps <= 1024 px a side)",
        ),
    ]


def main() -> None:
    print_measurements(measure())


if __name__ == "__main__":
    sys.exit(main())
