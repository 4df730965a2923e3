"""What a dry run costs, and the embedded engine's seconds per page that it plans with.

1. The dry run's own time per 1,000 pages, through the real CLI (`--dry-run --json`), on a
   folder of text PDFs (born-digital: `--text-layer off` so every page would be a request, and
   `auto`, where the layers are read), against the same pages asked online from the test chat
   server (answers in 0 ms): the run's floor, since drawing the pages is its cost.
2. The embedded engine's CPU and wall seconds per page, on data/samples' receipts and PDF
   pages and a few SROIE receipts, each drawn as a run draws it (the `local-ocr` profile) and
   read by `OcrEngine` in this process; the figures `extractors/document/dry_run_time.py`
   plans an engine run with.
3. JPEG bytes per pixel of pages drawn as sent (Pixtral's sizes), on the corpus PDFs and
   images: what `extractors/document/dry_run_batch.py` sizes batch lines with.

    PYTHONPATH=. .venv/bin/python benchmarks/dry_run.py [--pages 1000]
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import CORPUS, REPO, run_cli, text_pdf

# isort: split

from chat_server import ChatServer

from extractors.load.identify import identify
from extractors.load.reader import DocumentReader
from extractors.options import RenderOptions, TextLayerMode
from extractors.plan.profiles.registry import get_profile
from extractors.plan.sizing import size_page

SAMPLES = REPO / "data" / "samples"


def _folder(root: Path, pages: int) -> Path:
    """`pages` text pages in PDFs of 20 pages."""
    folder = root / "in"
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(pages // 20):
        text_pdf(folder / f"doc_{number:04d}.pdf", 20, seed=number)
    return folder


def dry_run_speed(pages: int) -> None:
    """Seconds of `--dry-run --json` per 1,000 pages, and of the run it plans."""
    with tempfile.TemporaryDirectory() as tmp, ChatServer(read_markers=False) as server:
        root = Path(tmp)
        folder = _folder(root, pages)
        base = [str(folder), "--base-url", server.base_url, "--model", "pixtral-12b-2409"]
        for mode in ("off", "auto"):
            out = root / f"out-{mode}"
            dry = run_cli([*base, "--out", str(out), "--text-layer", mode, "--dry-run", "--json"])
            dry.check()
            figures = json.loads(dry.stdout)
            print(
                f"dry run, --text-layer {mode}: {dry.wall:.1f} s for {figures['pages']:,} pages "
                f"({1000 * dry.wall / figures['pages']:.1f} s per 1,000 pages; "
                f"{figures['requests']:,} requests planned)"
            )
        for mode in ("off", "auto"):
            before = server.request_count
            out = str(root / f"online-{mode}")
            online = run_cli([*base, "--out", out, "--text-layer", mode, "--quiet"])
            online.check()
            print(
                f"the run itself, --text-layer {mode}, 0 ms answers: {online.wall:.1f} s "
                f"({1000 * online.wall / pages:.1f} s per 1,000 pages; "
                f"{server.request_count - before} requests)"
            )


def _drawn(path: Path, profile: str, limit: int) -> list[bytes]:
    """The first `limit` pages of a file as a run sends them with this token profile."""
    source = identify(path)
    reader = DocumentReader(source, RenderOptions(text_layer=TextLayerMode.OFF), None)
    chosen = get_profile(profile)
    try:
        layout = reader.layout(read_text=False)
        images = []
        for number in range(1, min(limit, layout.page_count) + 1):
            width, height = layout.page_sizes[number - 1]
            planned = size_page(number, width, height, chosen, 10**9)
            images.append(reader.render(planned, chosen.pad_to_square))
        return [image.data for image in images]
    finally:
        reader.close()


def engine_seconds() -> None:
    """CPU and wall seconds the embedded engine takes per page, on receipts and PDF pages."""
    from extractors.offline.engine import OcrEngine

    files = [
        (SAMPLES / "receipt.jpg", 1),
        (SAMPLES / "receipt.png", 1),
        (SAMPLES / "letter_3pages.pdf", 3),
        (SAMPLES / "report_14pages.pdf", 3),
        *((path, 1) for path in sorted((CORPUS / "receipts").glob("*.jpg"))[:6]),
    ]
    pages = [
        data for path, limit in files if path.exists() for data in _drawn(path, "local-ocr", limit)
    ]
    engine = OcrEngine()
    engine.read_encoded(pages[0])  # models loaded and warm
    cpu, wall = [], []
    for data in pages:
        started_cpu, started = time.process_time(), time.perf_counter()
        engine.read(__import__("PIL.Image").Image.open(__import__("io").BytesIO(data)))
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    print(
        f"embedded engine, {len(pages)} pages: CPU {statistics.mean(cpu):.2f} s a page "
        f"(median {statistics.median(cpu):.2f}, max {max(cpu):.2f}); wall "
        f"{statistics.mean(wall):.2f} s a page (median {statistics.median(wall):.2f})"
    )


def jpeg_bytes_per_pixel() -> None:
    """Bytes per pixel of the JPEGs a run sends, over corpus pages drawn at Pixtral's sizes."""
    paths = [
        *sorted((CORPUS / "pdfs").glob("*.pdf")),
        *sorted((CORPUS / "receipts").glob("*.jpg"))[:10],
    ]
    ratios = []
    for path in paths:
        try:
            drawn = _drawn(path, "pixtral", 2)
        except Exception:  # noqa: BLE001 - the corpus holds unreadable files on purpose
            continue
        ratios += [len(data) / _pixels(data) for data in drawn if _pixels(data) >= 100_000]
    print(
        f"JPEG bytes per pixel, {len(ratios)} pages: mean {statistics.mean(ratios):.3f}, "
        f"median {statistics.median(ratios):.3f}, 90th percentile "
        f"{statistics.quantiles(ratios, n=10)[-1]:.3f}, max {max(ratios):.3f}"
    )


def _pixels(data: bytes) -> int:
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(data)) as image:
        return image.width * image.height


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--only", choices=["speed", "engine", "jpeg"], default=None)
    args = parser.parse_args()
    if args.only in (None, "engine"):
        engine_seconds()
    if args.only in (None, "jpeg"):
        jpeg_bytes_per_pixel()
    if args.only in (None, "speed"):
        dry_run_speed(args.pages)


if __name__ == "__main__":
    sys.exit(main())
