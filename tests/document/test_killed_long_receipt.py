"""A long document of a document schema killed half way: its row is written only once all its
chunks are merged, but each answered chunk is kept, and the rerun asks only for the others."""

import os
import signal
import time
from pathlib import Path

import polars as pl
from chat_server import ChatServer
from document_answers import pages_of, receipt_answer
from harness import run
from markers import make_marked_pdf
from runner_process import start_runner

from extractors.sink.chunk_answers import CHUNK_ANSWERS
from extractors.sink.store import part_files

PAGES, MAX_IMAGES = 24, 2
CHUNKS = PAGES // MAX_IMAGES


def _chunks_answered(server: ChatServer) -> list[tuple[int, ...]]:
    return [
        tuple(page for _, page in pages_of(r)) for r in list(server.requests) if r.status == 200
    ]


def test_a_killed_long_receipt_is_asked_again_only_for_its_unanswered_chunks(
    tmp_path: Path,
) -> None:
    (tmp_path / "in").mkdir()
    make_marked_pdf(tmp_path / "in" / "receipt_5.pdf", 5, PAGES, size=(120, 160))
    out = tmp_path / "out"
    request = {"model": "m", "schema_name": "receipt", "max_images": MAX_IMAGES}
    with ChatServer(latency=0.2, document_answer=receipt_answer) as server:
        runner = start_runner(
            inputs=[str(tmp_path / "in")],
            out=str(out),
            base_url=server.base_url,
            concurrency=2,
            flush_rows=2,
            **request,
        )
        deadline = time.monotonic() + 120
        while len(_chunks_answered(server)) < CHUNKS // 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(runner.pid, signal.SIGKILL)
        runner.wait(timeout=30)
        answered_before_kill = _chunks_answered(server)
        assert CHUNKS // 2 <= len(answered_before_kill) < CHUNKS, "the kill must land mid-document"
        assert not part_files(out / "receipt")  # no row yet: it is written once merged
        kept = {
            tuple(pages)
            for part in part_files(out / CHUNK_ANSWERS / "receipt")
            for pages in pl.read_parquet(part)["pages"].to_list()
        }
        server.reset_stats()
        run([tmp_path / "in"], out, base_url=server.base_url, **request)
        asked_again = _chunks_answered(server)
    assert kept and not kept & set(asked_again)  # a kept chunk is never asked again
    # Lost are only the chunks in flight or not yet flushed (2 each) when the kill came.
    assert len(asked_again) <= CHUNKS - len(answered_before_kill) + 2 + 2
    assert len(kept) + len(asked_again) == CHUNKS
    rows = pl.read_parquet(str(out / "receipt" / "*.parquet"))
    row = rows.row(0, named=True)
    assert rows.height == 1 and row["status"] == "ok" and row["chunks"] == CHUNKS
    assert [item["description"] for item in row["line_items"]] == [
        f"item 5-{page}" for page in range(1, PAGES + 1)
    ]
    assert row["merchant_name"] == "Shop 5" and len(row["request_ids"]) == CHUNKS
