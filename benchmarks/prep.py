"""Preparation throughput: the pipeline's load + render + resize + encode, against a plain loop.

The pipeline's stages as a run uses them (identify, layout on a render worker, sizing to the
Pixtral budget, chunks of 12 rendered and JPEG-encoded on the render workers), with no request
sent; the baseline renders the same pages at the same output size with PyMuPDF and encodes them
with Pillow (JPEG quality 85) in a plain loop, in one process. Then the same with every core:
the pipeline with one render process per core against the plain loop in as many processes.

    .venv/bin/python benchmarks/prep.py
"""

import asyncio
import io
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import Measurement, print_measurements, text_pdf

# isort: split

import pymupdf
from PIL import Image

from extractors.load.identify import identify
from extractors.load.rasteriser import Rasteriser
from extractors.load.worker import available_cores
from extractors.options import BudgetOptions, RasterOptions, RenderOptions, TextLayerMode
from extractors.plan.chunking import plan_chunks
from extractors.plan.profiles.pixtral import PixtralProfile
from extractors.plan.sizing import size_page
from extractors.records import PlannedPage

PROFILE = PixtralProfile()
BUDGET = BudgetOptions()
PAGES = 240  # 20 documents of 12 pages


# The letters are born-digital: read as images, as a scan would be, since drawing is what is
# measured here (with `--text-layer auto` their text layer is their row, and nothing is drawn).
_AS_IMAGES = RenderOptions(text_layer=TextLayerMode.OFF)


async def prepare(paths: Sequence[Path], workers: int, open_documents: int = 34) -> int:
    """Every page of these documents made ready to send, as a run prepares them; pages done."""
    rasteriser = Rasteriser(RasterOptions(_AS_IMAGES, workers=workers))
    await rasteriser.wait_started()
    documents = asyncio.Semaphore(open_documents)

    async def one(path: Path) -> int:
        async with documents:
            source = await asyncio.to_thread(identify, path)
            layout = await rasteriser.layout(source)
            planned = [
                size_page(n, w, h, PROFILE, BUDGET.image_budget)
                for n, (w, h) in enumerate(layout.page_sizes, start=1)
            ]
            chunks = plan_chunks(planned, BUDGET)
            drawn = await asyncio.gather(
                *(rasteriser.render(source, chunk.pages, False) for chunk in chunks)
            )
            await rasteriser.release(source)
            return sum(len(images) for images in drawn)

    try:
        return sum(await asyncio.gather(*(one(path) for path in paths)))
    finally:
        rasteriser.close()


def timed_prepare(paths: Sequence[Path], workers: int) -> tuple[int, float]:
    """(pages, seconds) of `prepare`, the render workers' start excluded."""
    rasteriser = Rasteriser(RasterOptions(workers=workers))
    asyncio.run(rasteriser.wait_started())  # the fork server is up from here on
    rasteriser.close()
    started = time.perf_counter()
    pages = asyncio.run(prepare(paths, workers))
    return pages, time.perf_counter() - started


def planned_pages(path: Path) -> list[PlannedPage]:
    with pymupdf.open(str(path)) as document:
        scale = 200 / 72  # the pipeline's default DPI cap, before the model's own limit
        return [
            size_page(
                index + 1,
                round(page.rect.width * scale),
                round(page.rect.height * scale),
                PROFILE,
                BUDGET.image_budget,
            )
            for index, page in enumerate(document)
        ]


def plain_loop(paths: Sequence[Path]) -> int:
    """The baseline: PyMuPDF renders each page at the pipeline's size, Pillow encodes JPEG."""
    pages = 0
    for path in paths:
        sizes = planned_pages(path)
        with pymupdf.open(str(path)) as document:
            for page, planned in zip(document, sizes, strict=True):
                matrix = pymupdf.Matrix(
                    planned.width / page.rect.width, planned.height / page.rect.height
                )
                pixmap = page.get_pixmap(matrix=matrix, alpha=False)
                image = Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)
                image.save(io.BytesIO(), format="JPEG", quality=85)
                pages += 1
    return pages


def timed_plain_loop(paths: Sequence[Path], processes: int) -> tuple[int, float]:
    """(pages, seconds) of the plain loop, the documents split over `processes` processes."""
    if processes == 1:
        started = time.perf_counter()
        return plain_loop(paths), time.perf_counter() - started
    parts = [list(paths[i::processes]) for i in range(processes)]
    with ProcessPoolExecutor(processes) as pool:
        list(pool.map(plain_loop, parts))  # start the processes and import in them first
        started = time.perf_counter()
        pages = sum(pool.map(plain_loop, parts))
        return pages, time.perf_counter() - started


def documents(folder: Path) -> list[Path]:
    return [text_pdf(folder / f"letter_{index:02d}.pdf", 12, seed=index) for index in range(20)]


def measure(folder: Path) -> list[Measurement]:
    paths = documents(folder)
    cores = available_cores()
    base_pages, base_seconds = timed_plain_loop(paths, 1)
    pipe_pages, pipe_seconds = timed_prepare(paths, 1)
    assert base_pages == pipe_pages == PAGES, (base_pages, pipe_pages)
    base_rate, pipe_rate = base_pages / base_seconds, pipe_pages / pipe_seconds
    many_base_pages, many_base_seconds = timed_plain_loop(paths, cores)
    many_pages, many_seconds = timed_prepare(paths, cores)
    many_base_rate, many_rate = many_base_pages / many_base_seconds, many_pages / many_seconds
    speedup = many_rate / pipe_rate
    return [
        Measurement(
            "prep",
            "pages/s, 1 render process / plain loop",
            pipe_rate,
            base_rate,
            ">= 0.8",
            pipe_rate / base_rate >= 0.8,
            f"{PAGES} letter pages at 791x1024, JPEG q85",
        ),
        Measurement(
            "prep",
            f"pages/s, {cores} render processes / plain loop in {cores}",
            many_rate,
            many_base_rate,
            ">= 0.8",
            many_rate / many_base_rate >= 0.8,
        ),
        Measurement(
            "prep",
            f"speed-up, {cores} render processes / 1",
            speedup,
            float(cores),
            ">= 0.8 (near-linear)",
            speedup / cores >= 0.8,
            f"{speedup:.2f}x on {cores} cores",
        ),
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        print_measurements(measure(Path(scratch)))


if __name__ == "__main__":
    sys.exit(main())
