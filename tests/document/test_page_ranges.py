"""`--pages`: only the selected pages are asked for and get rows; a wider rerun asks only the
pages not yet ok, a narrower one asks nothing; document schemas read the selected pages only."""

from pathlib import Path

import polars as pl
import pytest
from batch_runs import batch_run
from chat_server import ChatServer
from document_answers import pages_of, receipt_answer
from harness import run
from markers import make_marked_pdf
from page_checks import expected_by_page, read_pages

from extractors.batch.lines import LineMap
from extractors.discover.page_ranges import parse_page_ranges


def _asked(server: ChatServer) -> list[int]:
    """The pages the server was shown, in page order."""
    return sorted(page for record in server.requests for _, page in pages_of(record))


def test_ranges_count_from_either_end_and_are_clipped_to_the_document() -> None:
    selection = parse_page_ranges("1-5,10,-3")
    assert selection.of(12) == (1, 2, 3, 4, 5, 10, 11, 12)
    assert selection.of(3) == (1, 2, 3)  # 1-5 clipped, 10 past the end, -3 is all of it
    assert parse_page_ranges("2-3,3-4").of(9) == (2, 3, 4)  # overlaps count once
    assert parse_page_ranges("8-").of(10) == (8, 9, 10)
    assert parse_page_ranges(" -1 ").of(7) == (7,)
    assert parse_page_ranges("40-60").of(10) == ()
    assert parse_page_ranges(None).of(4) == (1, 2, 3, 4)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("5-2", "'5-2' ends before it starts"),
        ("x", "'x' is not a page"),
        ("0", "'0': pages count from 1"),
        ("-0", "'-0': pages count from 1"),
        ("1,,3", "'' is not a page"),
        ("", "give pages as"),
        ("1--3", "'1--3' is not a page"),
    ],
)
def test_malformed_ranges_name_the_faulty_item(text: str, says: str) -> None:
    with pytest.raises(ValueError, match="^" + says):
        parse_page_ranges(text)


def test_only_selected_pages_are_asked_and_a_wider_rerun_asks_only_the_rest(
    tmp_path: Path,
) -> None:
    make_marked_pdf(tmp_path / "doc_1.pdf", 1, 6)
    inputs, out = [tmp_path / "doc_1.pdf"], tmp_path / "out"
    with ChatServer() as server:
        summary, _ = run(inputs, out, base_url=server.base_url, model="m", pages="1-2,-1")
        assert _asked(server) == [1, 2, 6]
        df = read_pages(out)
        assert sorted(df["page"].to_list()) == [1, 2, 6]  # no row for pages 3-5
        assert df["page_count"].unique().to_list() == [6]
        assert (summary.pages_ok, summary.pages_error) == (3, 0)

        server.reset_stats()
        summary, _ = run(inputs, out, base_url=server.base_url, model="m", pages="1-6")
        assert _asked(server) == [3, 4, 5]
        assert (summary.pages_ok, summary.pages_skipped) == (3, 3)

        server.reset_stats()
        summary, _ = run(inputs, out, base_url=server.base_url, model="m", pages="2-3")
        assert server.request_count == 0 and summary.pages_skipped == 2
    df = read_pages(out)
    assert sorted(df["page"].to_list()) == [1, 2, 3, 4, 5, 6]  # nothing was deleted
    assert df["status"].unique().to_list() == ["ok"]
    expected_by_page(df)


def test_a_range_past_the_end_is_clipped_and_one_selecting_nothing_gives_no_row(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_pdf(folder / "doc_1.pdf", 1, 3)
    make_marked_pdf(folder / "doc_2.pdf", 2, 12)
    out = tmp_path / "out"
    with ChatServer() as server:
        summary, _ = run([folder], out, base_url=server.base_url, model="m", pages="1-5,11-")
        shown = sorted(p for record in server.requests for p in pages_of(record))
    # doc_1's 1-5 clipped to its 3 pages, and 11- past its end; doc_2's 1-5 and 11-12.
    assert shown == [(1, 1), (1, 2), (1, 3)] + [(2, n) for n in (1, 2, 3, 4, 5, 11, 12)]
    assert read_pages(out).height == 10 and summary.pages_ok == 10

    with ChatServer() as server:
        run([folder / "doc_1.pdf"], out, base_url=server.base_url, model="m")
        assert server.request_count == 0  # every page of doc_1 is ok already
        summary, _ = run(
            [folder], tmp_path / "o2", base_url=server.base_url, model="m", pages="5-9"
        )
        assert sorted(p for record in server.requests for p in pages_of(record)) == [
            (2, n) for n in range(5, 10)
        ]
    rows = read_pages(tmp_path / "o2")
    assert rows.height == 5 and rows["source"].str.ends_with("doc_2.pdf").all()  # none of doc_1
    assert summary.documents == 2 and summary.pages_error == 0


def test_a_receipt_is_read_from_the_selected_pages_only(tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "receipt_4.pdf", 4, 3)
    out = tmp_path / "out"

    with ChatServer(document_answer=receipt_answer) as server:

        def receipts(pages: str | None) -> pl.DataFrame:
            source = [tmp_path / "receipt_4.pdf"]
            run(
                source, out, base_url=server.base_url, model="m", schema_name="receipt", pages=pages
            )
            return pl.scan_parquet(str(out / "receipt" / "*.parquet")).collect()

        df = receipts("1")
        assert [pages_of(r) for r in server.requests] == [[(4, 1)]]
        row = df.row(0, named=True)
        assert (row["status"], row["pages"], row["page_count"]) == ("ok", [1], 3)
        assert [item["description"] for item in row["line_items"]] == ["item 4-1"]

        server.reset_stats()
        df = receipts(None)  # every page: the row of page 1 does not serve, asked again
        assert [pages_of(r) for r in server.requests] == [[(4, 1), (4, 2), (4, 3)]]
        newest = df.sort("extracted_at").row(-1, named=True)
        assert newest["pages"] == [1, 2, 3] and len(newest["line_items"]) == 3

        server.reset_stats()
        receipts("-2")  # within the row of pages 1-3: nothing new
        assert server.request_count == 0


def test_batch_lines_carry_the_selected_pages_only(tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "doc_1.pdf", 1, 6)
    out = tmp_path / "out"
    written = batch_run(
        [tmp_path / "doc_1.pdf"], out, provider="vllm", batch_file_only=True, pages="1-2,-1"
    )
    assert not written.collected
    (page_map,) = (out / "batches").glob("*/input-0001.map.jsonl")
    lines = [LineMap.from_json(raw) for raw in page_map.read_text().splitlines()]
    assert sorted(p.page for line in lines for p in line.pages) == [1, 2, 6]
    assert {line.page_count for line in lines} == {6}
