"""A long PDF killed half way keeps what was answered: its rows reach DIR as chunks finish."""

import os
import signal
import time
from pathlib import Path

import polars as pl
from chat_server import ChatServer
from harness import run
from markers import make_marked_pdf
from page_checks import assert_every_page_once_ok
from runner_process import start_runner

from extractors.sink.store import part_files

PAGES = 100
CONCURRENCY, MAX_IMAGES, FLUSH_ROWS = 4, 2, 6


def _pages_of(server: ChatServer, answered_only: bool) -> set[int]:
    return {
        value % 256
        for request in list(server.requests)
        if not answered_only or request.status == 200
        for value in request.marker_values
        if value is not None
    }


def test_a_killed_long_pdf_is_not_asked_again_for_the_pages_it_stored(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    make_marked_pdf(tmp_path / "in" / "doc_1.pdf", 1, PAGES, size=(120, 160))
    out = tmp_path / "out"
    arguments = {
        "inputs": [str(tmp_path / "in")],
        "out": str(out),
        "model": "m",
        "concurrency": CONCURRENCY,
        "max_images": MAX_IMAGES,
        "flush_rows": FLUSH_ROWS,
    }
    with ChatServer(latency=0.1) as server:
        runner = start_runner(**arguments, base_url=server.base_url)
        deadline = time.monotonic() + 120
        while len(_pages_of(server, answered_only=True)) < 50 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(runner.pid, signal.SIGKILL)
        runner.wait(timeout=30)
        answered_before_kill = _pages_of(server, answered_only=True)
        assert 50 <= len(answered_before_kill) < PAGES, "the kill must land mid-document"
        stored = {
            page for part in part_files(out / "pages") for page in pl.read_parquet(part)["page"]
        }
        server.reset_stats()
        run([tmp_path / "in"], out, base_url=server.base_url, model="m", max_images=MAX_IMAGES)
        asked_again = _pages_of(server, answered_only=False)
    assert not stored & asked_again  # a page stored before the kill is never asked again
    # Lost are only the answers still in flight or not yet flushed when the kill came.
    in_flight = CONCURRENCY * MAX_IMAGES + FLUSH_ROWS
    assert len(asked_again) <= PAGES - len(answered_before_kill) + in_flight
    assert_every_page_once_ok(out, PAGES)
