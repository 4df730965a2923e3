"""What a text layer's Markdown costs: `read_text_layer` per usable page with it, against today's
reading without it (the Markdown step switched off), and the step alone; and what it finds.

On the usable pages of data/samples and ../shared/corpus/pdfs (at most 20 pages a file), each
page loaded afresh per timing, after one warm-up pass (the judge's language model and word lists
load once). Median and p95 in ms per page, and the ratio of the medians.

    .venv/bin/python benchmarks/layer_markdown.py
"""

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from common import CORPUS, REPO

# isort: split

import pymupdf

from extractors.load import text_layer
from extractors.load.layer.markdown import page_markdown
from extractors.load.layer.visible_text import span_blocks

_PAGES_PER_FILE = 20


def _pages() -> list[tuple[Path, int]]:
    """(file, page index) of every usable page measured."""
    files = [*sorted((REPO / "data" / "samples").glob("*.pdf"))]
    files += sorted((CORPUS / "pdfs").glob("*.pdf")) if (CORPUS / "pdfs").is_dir() else []
    found = []
    for path in files:
        try:
            with pymupdf.open(path) as document:
                if document.needs_pass:
                    continue
                for index in range(min(_PAGES_PER_FILE, document.page_count)):
                    if text_layer.read_text_layer(document[index]).usable:
                        found.append((path, index))
        except (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase):  # broken corpus files
            continue
    return found


def _timed(pages: list[tuple[Path, int]], step: Callable[[pymupdf.Page], object]) -> list[float]:
    times = []
    for path, index in pages:
        with pymupdf.open(path) as document:
            page = document[index]
            started = time.perf_counter()
            step(page)
            times.append((time.perf_counter() - started) * 1000)
    return times


def _without_markdown(page: pymupdf.Page) -> object:
    """Today's reading: the same function with the Markdown step switched off."""
    markdown, blocks = text_layer.page_markdown, text_layer.span_blocks
    text_layer.page_markdown, text_layer.span_blocks = (lambda _: ""), (lambda _: [])  # type: ignore[assignment]
    try:
        return text_layer.read_text_layer(page)
    finally:
        text_layer.page_markdown, text_layer.span_blocks = markdown, blocks


def _markdown_alone(page: pymupdf.Page) -> object:
    return page_markdown(span_blocks(page.get_textpage()))


def _line(name: str, times: list[float]) -> str:
    p95 = statistics.quantiles(times, n=20)[-1]
    return f"{name:<38}{statistics.median(times):>8.2f}{p95:>9.2f}"


def main() -> None:
    pages = _pages()
    _timed(pages, text_layer.read_text_layer)  # warm-up
    today = _timed(pages, _without_markdown)
    now = _timed(pages, text_layer.read_text_layer)
    alone = _timed(pages, _markdown_alone)
    print(f"{len(pages)} usable pages")
    print(f"{'ms per page':<38}{'median':>8}{'p95':>9}")
    print(_line("read_text_layer today (no Markdown)", today))
    print(_line("read_text_layer with Markdown", now))
    print(_line("Markdown step alone", alone))
    print(f"ratio with / today (median): {statistics.median(now) / statistics.median(today):.2f}x")
    headings = items = 0
    for path, index in pages:
        with pymupdf.open(path) as document:
            lines = text_layer.read_text_layer(document[index]).markdown.splitlines()
        headings += sum(line.startswith("#") for line in lines)
        items += sum(line.startswith("- ") for line in lines)
    print(f"found: {headings} headings, {items} bulleted items")


if __name__ == "__main__":
    main()
