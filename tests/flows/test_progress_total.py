"""Honest progress: the pages bar's total is the real one before the first page finishes,
and the ETA waits for a measured rate, then moves with the time that passes."""

import asyncio
from pathlib import Path

import pymupdf
from chat_server import ChatServer
from harness import run_direct
from markers import make_marked_image
from PIL import Image
from recorded_progress import RecordedProgress

from extractors.discover.page_count import count_pages
from flows.commands.run import _count_pages
from flows.options.config import Secrets
from flows.options.parameters import RunRequest
from flows.terminal.display import eta_seconds


def _inputs(folder: Path) -> int:
    """Five receipts, an 8-page PDF, a 3-frame TIFF and a damaged PDF: 17 pages."""
    folder.mkdir()
    for n in range(1, 6):
        make_marked_image(folder / f"receipt_{n}.png", n)
    document = pymupdf.open()
    for _ in range(8):
        document.new_page().insert_text((72, 72), "scan")
    document.save(folder / "scan.pdf")
    frames = [Image.new("RGB", (300, 400), "white") for _ in range(3)]
    frames[0].save(folder / "fax.tiff", save_all=True, append_images=frames[1:])
    (folder / "damaged.pdf").write_bytes(b"%PDF-1.7\n garbage")
    return 5 + 8 + 3 + 1


def test_pages_are_counted_as_the_run_plans_them(tmp_path: Path) -> None:
    expected = _inputs(tmp_path / "in")
    assert count_pages([tmp_path / "in"]) == expected


def test_the_page_total_is_known_before_the_first_page_finishes(tmp_path: Path) -> None:
    expected = _inputs(tmp_path / "in")
    recorded = RecordedProgress()
    request = RunRequest(inputs=[str(tmp_path / "in")], out=str(tmp_path / "out"))

    async def run() -> None:
        with ChatServer(latency=0.3) as server:
            counting = _count_pages(request, Secrets(), recorded)
            await asyncio.gather(
                counting,
                run_direct(
                    [tmp_path / "in"], tmp_path / "out", progress=recorded,
                    base_url=server.base_url, model="m",
                ),
            )  # fmt: skip

    asyncio.run(run())
    names = [name for name, _ in recorded.events]
    found = names.index("pages_found")
    assert found < names.index("pages_finished")
    assert recorded.events[found] == ("pages_found", expected)
    planned = sum(count for name, count in recorded.events if name == "pages_planned")
    assert planned == expected  # the total said first is the one the run worked through


def test_the_eta_waits_for_a_rate_and_moves_with_elapsed_time() -> None:
    assert eta_seconds(28, 0, since=100.0, now=160.0) == -1  # nothing done: no rate
    assert eta_seconds(None, 5, since=100.0, now=160.0) == -1  # no total
    assert eta_seconds(28, 5, since=None, now=160.0) == -1  # no start
    first = eta_seconds(28, 7, since=100.0, now=128.0)
    assert first == 84.0  # 7 pages in 28 s: 21 left at 4 s each
    later = eta_seconds(28, 7, since=100.0, now=156.0)
    assert later > first  # nothing finished meanwhile: the rate fell, the ETA grew
