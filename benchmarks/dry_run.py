"""What a dry run costs, and the embedded engine's seconds per page that it plans with.

1. The dry run's own time per 1,000 pages, through the real CLI (`--dry-run --json`), on a
   folder of text PDFs (born-digital: `--text-layer off` so every page would be a request, and
   `auto`, where the layers are read), against the same pages asked online from the test chat
   server (answers in 0 ms): the run's floor, since drawing the pages is its cost. Wall time
   and the CPU seconds of the process tree (render workers included): on a shared machine the
   wall follows the other load, the CPU the work.
2. The embedded engine's CPU and wall seconds per page, on data/samples' receipts and PDF
   pages and a few SROIE receipts, each drawn as a run draws it (the `local-ocr` profile) and
   read by `OcrEngine` in this process; the figures `extractors/document/dry_run_time.py`
   plans an engine run with.
3. JPEG bytes per pixel of pages drawn as sent (Pixtral's sizes), on the corpus PDFs and
   images: what `extractors/document/dry_run_batch.py` sizes batch lines with.
4. The text-layer judges in this process, CPU ms per page: the run's (`read_text_layer`) and
   the dry run's (`judge_text_layer`: no words or Markdown, the hidden-text trace only where
   `may_hide_text` cannot rule hidden text out), on the benchmark's pages and the corpus PDFs;
   with the pages each reads from their layer (must be the same) and the pages the screen
   spares the trace.

    PYTHONPATH=. .venv/bin/python benchmarks/dry_run.py [--pages 1000] [--only judge]
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import CORPUS, REPO, _is_prefect_server, _tree, run_cli, text_pdf

# isort: split

from collections.abc import Callable

import pymupdf
from chat_server import ChatServer

from extractors.load.identify import identify
from extractors.load.layer.span_screen import may_hide_text
from extractors.load.reader import DocumentReader
from extractors.load.text_layer import judge_text_layer, read_text_layer
from extractors.options import RenderOptions, TextLayerMode
from extractors.plan.profiles.registry import get_profile
from extractors.plan.sizing import size_page
from extractors.records import TextLayer

SAMPLES = REPO / "data" / "samples"


def _folder(root: Path, pages: int) -> Path:
    """`pages` text pages in PDFs of 20 pages."""
    folder = root / "in"
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(pages // 20):
        text_pdf(folder / f"doc_{number:04d}.pdf", 20, seed=number)
    return folder


class TreeCpu(threading.Thread):
    """CPU seconds of the processes started while it runs (a CLI run and its render workers),
    sampled every 50 ms; Prefect's server left out. Wall times on a shared machine follow the
    other load (render workers run at nice 10); CPU seconds follow the work."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self._before = set(_tree(os.getpid()))
        self._seen: dict[int, float] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            for pid in set(_tree(os.getpid())) - self._before:
                if not _is_prefect_server(pid):
                    self._seen[pid] = max(self._seen.get(pid, 0.0), _cpu_seconds(pid))
            self._halt.wait(0.05)

    def __enter__(self) -> "TreeCpu":
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._halt.set()
        self.join()

    @property
    def seconds(self) -> float:
        return sum(self._seen.values())


def _cpu_seconds(pid: int) -> float:
    """User and system seconds of one process so far; 0 once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(arguments: list[str]) -> tuple[float, float, dict]:
    """Wall and CPU seconds of one CLI run, and its JSON figures (a dry run's) or {}."""
    with TreeCpu() as cpu:
        run = run_cli(arguments)
    run.check()
    figures = json.loads(run.stdout) if "--json" in arguments else {}
    return run.wall, cpu.seconds, figures


def dry_run_speed(pages: int) -> None:
    """Seconds of `--dry-run --json` per 1,000 pages, and of the run it plans."""
    with tempfile.TemporaryDirectory() as tmp, ChatServer(read_markers=False) as server:
        root = Path(tmp)
        folder = _folder(root, pages)
        base = [str(folder), "--base-url", server.base_url, "--model", "pixtral-12b-2409"]
        runs: dict[str, tuple[float, float]] = {}
        for mode in ("off", "auto"):
            out = str(root / f"online-{mode}")
            before = server.request_count
            runs[mode] = _timed([*base, "--out", out, "--text-layer", mode, "--quiet"])[:2]
            print(
                f"the run itself, --text-layer {mode}, 0 ms answers: {runs[mode][0]:.1f} s wall, "
                f"{runs[mode][1]:.1f} s CPU per {pages:,} pages "
                f"({server.request_count - before} requests)"
            )
        for mode in ("off", "auto"):
            out = str(root / f"out-{mode}")
            arguments = [*base, "--out", out, "--text-layer", mode, "--dry-run", "--json"]
            wall, cpu, figures = _timed(arguments)
            per = 1000 / figures["pages"]
            print(
                f"dry run, --text-layer {mode}: {wall * per:.1f} s wall, {cpu * per:.1f} s CPU "
                f"per 1,000 pages ({wall / runs[mode][0]:.2f} and {cpu / runs[mode][1]:.2f} of "
                f"the run's; {figures['requests']:,} requests planned, "
                f"{figures['text_layer_pages']:,} pages from their layer)"
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


def _judge_cpu(pages: list[pymupdf.Page], judge: Callable[[pymupdf.Page], TextLayer]) -> float:
    """Best of 3: CPU seconds per page."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for page in pages:
            judge(page)
        best = min(best, (time.process_time() - started) / len(pages))
    return best


def _corpus_pages(limit: int = 12) -> list[pymupdf.Page]:
    """The first pages of each corpus PDF the run's judge can read."""
    pages = []
    for path in sorted((CORPUS / "pdfs").glob("*.pdf")):
        try:
            document = pymupdf.open(path)
            if document.needs_pass:
                continue
            for number in range(min(limit, document.page_count)):
                page = document[number]
                read_text_layer(page)
                pages.append(page)
        except (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase):
            continue  # the corpus holds damaged files on purpose
    return pages


def judges() -> None:
    """The run's and the dry run's text-layer judges, side by side."""
    with tempfile.TemporaryDirectory() as tmp:
        documents = [pymupdf.open(_folder(Path(tmp), 100) / f"doc_{n:04d}.pdf") for n in range(5)]
        sets = {"benchmark pages": [doc[n] for doc in documents for n in range(doc.page_count)]}
        if CORPUS.is_dir():
            sets["corpus PDFs"] = _corpus_pages()
        for name, pages in sets.items():
            full, quick = _judge_cpu(pages, read_text_layer), _judge_cpu(pages, judge_text_layer)
            as_text = sum(read_text_layer(page).usable for page in pages)
            quick_as_text = sum(judge_text_layer(page).usable for page in pages)
            spared = sum(not may_hide_text(page) for page in pages)
            print(
                f"judges, {name} ({len(pages)} pages): run's {1000 * full:.2f} ms a page, dry "
                f"run's {1000 * quick:.2f} ms ({quick / full:.2f}); as text {as_text} and "
                f"{quick_as_text}; trace spared on {spared}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--only", choices=["speed", "engine", "jpeg", "judge"], default=None)
    args = parser.parse_args()
    if args.only in (None, "engine"):
        engine_seconds()
    if args.only in (None, "jpeg"):
        jpeg_bytes_per_pixel()
    if args.only in (None, "judge"):
        judges()
    if args.only in (None, "speed"):
        dry_run_speed(args.pages)


if __name__ == "__main__":
    sys.exit(main())
