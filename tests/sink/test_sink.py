"""The Parquet dataset: explicit schema, atomic part files, the ledger, compaction."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from extractors.sink.compaction import compact
from extractors.sink.ledger import Ledger
from extractors.sink.parts import PartWriter, rows_to_table
from extractors.sink.store import part_files, prepare_output
from schemas import PAGE_ROW_ARROW_SCHEMA, PageRow

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def row(
    source: str = "a.pdf",
    page: int | None = 1,
    status: str = "ok",
    sha: str = "s1",
    minutes: int = 0,
    model: str = "m",
    page_count: int | None = 2,
) -> PageRow:
    ok = status == "ok"
    return PageRow(
        source=source,
        source_sha256=sha,
        source_format="pdf",
        page=page,
        page_count=page_count,
        status=status,
        text=f"{source}:{page}" if ok else None,
        error=None if ok else "boom",
        error_category=None if ok else "endpoint",
        model=model,
        provider="p",
        schema_name="page_text",
        schema_version="v1",
        prompt_version="p1",
        options_version="o1",
        request_id="r",
        request_images=1,
        attempts=1,
        prompt_tokens=10,
        completion_tokens=5,
        image_tokens=8,
        width=10,
        height=10,
        latency_ms=1.5,
        run_id="run",
        extracted_at=T0 + timedelta(minutes=minutes),
    )


def write(pages_dir: Path, name: str, rows: list[PageRow]) -> None:
    writer = PartWriter(pages_dir, name)
    writer.add(rows)
    writer.flush()


def read(pages_dir: Path) -> pl.DataFrame:
    return pl.scan_parquet(str(pages_dir / "**" / "*.parquet")).collect()


def test_the_arrow_schema_is_the_row_model_and_polars_reads_typed_columns(tmp_path: Path) -> None:
    assert PAGE_ROW_ARROW_SCHEMA.names == list(PageRow.model_fields)
    pages = prepare_output(tmp_path)
    write(pages, "x", [row(), row(page=None, status="error", page_count=None)])
    df = read(pages)
    assert df.schema["page"] == pl.Int32
    assert df.schema["extracted_at"] == pl.Datetime("us", "UTC")
    assert df.schema["latency_ms"] == pl.Float64
    assert df["page"].to_list() == [1, None]
    field = PAGE_ROW_ARROW_SCHEMA.field("source")
    assert field.metadata[b"description"] == b"The input path as it was found."


def test_a_type_drift_fails_loudly() -> None:
    broken = row().model_dump() | {"page": "one"}
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        pa.Table.from_pylist([broken], schema=PAGE_ROW_ARROW_SCHEMA)
    assert rows_to_table([row()]).schema == PAGE_ROW_ARROW_SCHEMA


def test_part_writer_flushes_as_rows_arrive_and_leaves_no_temp_files(tmp_path: Path) -> None:
    pages = prepare_output(tmp_path)
    writer = PartWriter(pages, "run-00000", flush_rows=2)
    writer.add([row(page=1)])
    assert part_files(pages) == []
    writer.add([row(page=2)])
    assert len(part_files(pages)) == 1  # written as soon as the buffer filled, not at the end
    writer.add([row(page=3)])
    writer.flush()
    assert len(part_files(pages)) == 2 and writer.rows_written == 3
    assert sorted(p.name for p in pages.iterdir()) == [p.name for p in part_files(pages)]


def test_leftover_temp_files_are_ignored_by_readers_and_cleared(tmp_path: Path) -> None:
    pages = prepare_output(tmp_path)
    write(pages, "x", [row()])
    (pages / ".tmp-part-dead.parquet.partial").write_bytes(b"half a file")
    assert read(pages).height == 1  # the glob of readers never matches temp files
    prepare_output(tmp_path)
    assert not (pages / ".tmp-part-dead.parquet.partial").exists()


def test_compaction_keeps_the_newest_row_of_each_page(tmp_path: Path) -> None:
    pages = prepare_output(tmp_path)
    write(pages, "old", [row(page=1, status="error"), row(page=2)])
    write(pages, "new", [row(page=1, minutes=5)])
    assert compact(pages) == 1
    df = read(pages).sort("page")
    assert df["status"].to_list() == ["ok", "ok"] and df["page"].to_list() == [1, 2]
    assert compact(pages) == 0  # idempotent


def test_compaction_drops_rows_of_an_older_version_and_a_superseded_file_error(
    tmp_path: Path,
) -> None:
    pages = prepare_output(tmp_path)
    write(pages, "a", [row(source="f.pdf", page=None, status="error", sha="old", page_count=None)])
    write(pages, "b", [row(source="f.pdf", page=p, sha="old", minutes=1) for p in (1, 2, 3)])
    write(pages, "c", [row(source="f.pdf", page=p, sha="new", minutes=2) for p in (1, 2)])
    write(pages, "d", [row(source="g.pdf", page=None, status="error", minutes=3)])
    dropped = compact(pages)
    df = read(pages).sort("source", "page")
    assert dropped == 4
    assert df.select("source", "page", "source_sha256").rows() == [
        ("f.pdf", 1, "new"),
        ("f.pdf", 2, "new"),
        ("g.pdf", None, "s1"),
    ]
    assert not (pages / "part-a-00001.parquet").exists()  # emptied files are removed


def test_ledger_knows_complete_documents_and_where_pages_live(tmp_path: Path) -> None:
    pages = prepare_output(tmp_path)
    write(
        pages,
        "x",
        [
            row(source="a.pdf", page=1),
            row(source="b.pdf", page=2),
            row(source="c.pdf", page=1, sha="s2", status="error"),
        ],
    )
    ledger = Ledger.load(pages, PAGE_ROW_ARROW_SCHEMA)
    key = ("s1", "m", "v1", "p1", "o1")
    assert ledger.done_pages(key) == {1, 2} and ledger.is_complete(key)
    assert ledger.pages_at(key, "a.pdf") == {1} and ledger.pages_at(key, "b.pdf") == {2}
    assert not ledger.is_complete(("s2", "m", "v1", "p1", "o1"))  # errors are not done
    assert not ledger.is_complete(("s1", "other-model", "v1", "p1", "o1"))
    assert not ledger.is_complete(("s1", "m", "v1", "p1", "other-options"))
    copied = ledger.rows_for(key, [2])
    assert [(r["source"], r["page"]) for r in copied] == [("b.pdf", 2)]


def test_output_that_cannot_be_written_is_refused(tmp_path: Path) -> None:
    from extractors.errors import OutputNotWritableError

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OutputNotWritableError, match="not writable"):
        prepare_output(blocker)


def test_a_part_written_before_a_column_existed_still_reads(tmp_path: Path) -> None:
    """Rows of an older visionbatch (no `options_version`) never match a resume key, but the
    ledger, copies and compaction still read the dataset."""
    pages = prepare_output(tmp_path)
    old = rows_to_table([row(source="a.pdf", page=1)]).drop_columns(["options_version"])
    pq.write_table(old, Path(pages) / "part-old-00001.parquet")
    write(pages, "new", [row(source="b.pdf", page=1)])
    ledger = Ledger.load(pages, PAGE_ROW_ARROW_SCHEMA)
    key = ("s1", "m", "v1", "p1", "o1")
    assert ledger.pages_at(key, "b.pdf") == {1}
    assert ledger.pages_at(key, "a.pdf") == frozenset()  # another version's answer
    assert [r["source"] for r in ledger.rows_for(key, [1])] == ["b.pdf"]
    assert compact(pages) == 0


def test_a_row_that_cannot_be_stored_becomes_an_internal_error_and_the_rest_are_written(
    tmp_path: Path,
) -> None:
    pages = prepare_output(tmp_path)
    writer = PartWriter(pages, "run-00000", flush_rows=100)
    huge = row(page=2).model_copy(update={"prompt_tokens": 10**13})  # from usage: 1e13
    writer.add([row(page=1), huge, row(page=3)])
    writer.flush()
    df = read(pages).sort("page")
    assert df["page"].to_list() == [1, 2, 3] and writer.rows_written == 3
    assert df["status"].to_list() == ["ok", "error", "ok"]
    bad = df.row(1, named=True)
    assert bad["error_category"] == "internal" and bad["prompt_tokens"] is None
    assert "column prompt_tokens" in bad["error"] and "10000000000000" in bad["error"]
    assert df["prompt_tokens"].to_list() == [10, None, 10]  # the others keep every value
