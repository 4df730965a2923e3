"""Rows read from a text layer before layers were judged (no `confidence`) are judged again."""

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from chat_server import ChatServer
from harness import run
from text_layer_pdfs import build_kinds_pdf


def _strip_confidence(pages: Path) -> None:
    """Make the dataset look written by a version that had no `confidence` column."""
    for part in pages.glob("*.parquet"):
        table = pq.read_table(part)
        pq.write_table(table.drop_columns(["confidence"]), part)


def test_a_layer_row_without_confidence_is_read_again_and_others_are_kept(
    tmp_path: Path,
) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    build_kinds_pdf(folder / "kinds.pdf")
    with ChatServer() as server:
        run([folder], out, base_url=server.base_url, model="pixtral-12b-2409")
        first_requests = len(server.requests)
        _strip_confidence(out / "pages")
        summary, _ = run([folder], out, base_url=server.base_url, model="pixtral-12b-2409")
        again = len(server.requests) - first_requests
    rows = pl.read_parquet(out / "pages").sort("page")
    # The layer page is judged again (no request: its layer is honest); the pages answered
    # by the model stand as they were, and are not asked again.
    assert first_requests > 0 and again == 0
    assert summary.pages_ok == 1 and summary.pages_skipped == 3
    assert rows.height == 4 and rows["page"].to_list() == [1, 2, 3, 4]
    layer = rows.row(0, named=True)
    assert layer["text_source"] == "text_layer" and layer["confidence"] is not None
