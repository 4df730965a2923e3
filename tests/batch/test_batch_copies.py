"""A page whose image a line of the batch plan already carries is not written again: the map
records it as a copy of that line's page, and at ingest it gets that page's row, warned `same
image as`, or an error row when that page has no answer (`extractors/batch/copies.py`)."""

import json
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pymupdf
import pytest
from batch_runs import KEY, batch_run
from batch_server import BatchServer
from batch_server.lines import answer_line, read_input
from markers import draw_marker_pdf_page, encode_value, expected_text, make_marked_pdf
from page_checks import read_pages
from typer.testing import CliRunner

from extractors.batch.copies import LinedImages
from extractors.batch.files import BatchFileWriter, read_line_maps
from extractors.options import BatchOptions
from extractors.records import ChunkPlan, PlannedPage, PreparedRequest, RenderedImage, SourceFile
from flows.commands.cli import app

# doc_1 (2 pages), same_1 (its bytes under another name), rep_2 (page 3 repeats page 1).
PAGES = 2 + 2 + 3
COPIES = 2 + 1


def _inputs(folder: Path) -> Path:
    folder.mkdir()
    make_marked_pdf(folder / "doc_1.pdf", 1, 2)
    shutil.copy(folder / "doc_1.pdf", folder / "same_1.pdf")
    doc = pymupdf.open()
    for page in (1, 2, 1):
        draw_marker_pdf_page(doc.new_page(width=612, height=792), encode_value(2, page))
    doc.save(str(folder / "rep_2.pdf"))
    doc.close()
    return folder


def _images(input_file: Path) -> int:
    """Image parts in every line of a batch input file."""
    return sum(
        1
        for line in read_input(input_file.read_bytes())
        for message in line.body["messages"]
        if isinstance(message["content"], list)
        for part in message["content"]
        if part.get("type") == "image_url"
    )


def _plan_file_only(tmp_path: Path, **request: Any) -> tuple[Path, Path]:
    out = tmp_path / "out"
    written = batch_run(
        [_inputs(tmp_path / "in")], out, provider="vllm", batch_file_only=True, **request
    )
    assert not written.collected
    (input_file,) = (out / "batches").glob("*/input-0001.jsonl")
    return out, input_file


def _answer(input_file: Path, output: Path, faults: dict[str, str]) -> None:
    """`vllm run-batch`'s output, as the test chat server answers; `faults` by custom_id."""
    with output.open("w") as handle:
        for line in read_input(input_file.read_bytes()):
            kind, answered = answer_line(line, faults.get(line.custom_id), line.index + 1)
            if kind != "drop":
                handle.write(json.dumps(answered) + "\n")


def _ingest(out: Path, output: Path) -> str:
    result = CliRunner().invoke(app, ["ingest", str(out), str(output)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _copies(df: pl.DataFrame) -> pl.DataFrame:
    warned = pl.col("warnings").list.eval(pl.element().str.starts_with("same image as")).list.any()
    return df.filter(warned)


def test_identical_pages_are_written_once_and_each_gets_its_row(tmp_path: Path) -> None:
    out, input_file = _plan_file_only(tmp_path)
    assert _images(input_file) == PAGES - COPIES
    records = [json.loads(r) for r in input_file.with_suffix(".map.jsonl").read_text().split()]
    assert sum("copy_of" in record for record in records) == COPIES

    _answer(input_file, tmp_path / "o.jsonl", {})
    said = _ingest(out, tmp_path / "o.jsonl")

    assert f"{PAGES} pages ok, 0 errors" in said and "plan archived" in said
    df = read_pages(out)
    assert df.height == PAGES and df.group_by("source", "page").len()["len"].max() == 1
    assert df["status"].unique().to_list() == ["ok"]
    for source, page, text in df.select("source", "page", "text").iter_rows():
        doc = int(Path(source).stem.split("_")[-1])
        assert text == expected_text(encode_value(doc, 1 if doc == 2 and page == 3 else page))
    copies = _copies(df)
    assert copies.height == COPIES
    assert copies["request_id"].is_null().all() and copies["prompt_tokens"].is_null().all()
    assert copies["batch_id"].is_not_null().all()
    sent = df.filter(pl.col("request_id").is_not_null())
    for copy in copies.iter_rows(named=True):
        # Which of doc_1 and same_1 went into a line depends on which was drawn first.
        of = "rep_2.pdf" if copy["source"].endswith("rep_2.pdf") else None
        of_page = 1 if of else copy["page"]
        (original,) = [
            row
            for row in sent.iter_rows(named=True)
            if row["page"] == of_page
            and (row["source"].endswith(of) if of else not row["source"].endswith("rep_2.pdf"))
        ]
        assert copy["warnings"][-1] == (
            f"same image as {original['source']} page {of_page}: its row copied, not asked"
        )
        assert copy["text"] == original["text"]


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("status:500", "HTTP 500: Simulated HTTP 500"), ("drop", "missing from the batch output")],
)
def test_a_copy_of_a_page_without_an_answer_is_an_error_row(
    tmp_path: Path, fault: str, reason: str
) -> None:
    out, input_file = _plan_file_only(tmp_path)
    maps = read_line_maps(input_file.with_suffix(".map.jsonl"))
    (repeated,) = [m for m in maps.values() if m.source.path.endswith("rep_2.pdf")]
    assert [(c.of_page, c.page.page) for c in repeated.copies] == [(1, 3)]

    _answer(input_file, tmp_path / "o.jsonl", {repeated.custom_id: fault})
    said = _ingest(out, tmp_path / "o.jsonl")

    assert f"{PAGES - 3} pages ok, 3 errors" in said
    df = read_pages(out)
    assert df.height == PAGES and df.group_by("source", "page").len()["len"].max() == 1
    errors = df.filter(pl.col("status") == "error").sort("page")
    assert errors["source"].str.ends_with("rep_2.pdf").all() and errors["page"].to_list() == [
        1,
        2,
        3,
    ]
    assert errors["text"].is_null().all() and errors["error"].str.contains(reason).all()
    rep = repeated.source.path
    assert errors["error"][2].startswith(
        f"same image as {rep} page 1, not asked, and that page has no answer: batch "
    )
    assert _copies(df).height == COPIES - 1  # same_1's (or doc_1's) copies are still ok


def test_keep_duplicates_writes_every_page(tmp_path: Path) -> None:
    _, input_file = _plan_file_only(tmp_path, keep_duplicates=True)
    assert _images(input_file) == PAGES
    assert "copy_of" not in input_file.with_suffix(".map.jsonl").read_text()


def test_a_batch_run_sends_each_image_once_and_every_page_ends_ok(tmp_path: Path) -> None:
    with BatchServer(api_key=KEY) as server:
        outcome = batch_run([_inputs(tmp_path / "in")], tmp_path / "out", base_url=server.base_url)
        (job,) = server.jobs.values()
        images = sum(len(line.body["messages"][0]["content"]) // 2 for line in job.lines)
        asked_online = server.request_count

    assert outcome.collected and outcome.online is not None
    assert images == PAGES - COPIES and asked_online == 0
    df = read_pages(tmp_path / "out")
    assert df.height == PAGES and df["status"].unique().to_list() == ["ok"]
    assert _copies(df).height == COPIES


def _request(
    request_id: str, source: SourceFile, images: list[tuple[int, bytes]]
) -> PreparedRequest:
    pages = tuple(PlannedPage(page, 10, 10, 7) for page, _ in images)
    drawn = tuple(RenderedImage(page, 10, 10, "image/jpeg", data) for page, data in images)
    return PreparedRequest(request_id, source, ChunkPlan(pages), drawn)


def test_a_copy_is_recorded_in_the_map_of_the_file_holding_its_line(tmp_path: Path) -> None:
    """One line a file: the copy found while writing the second file goes into the first's
    map, after its line, and reads back with it."""
    writer = BatchFileWriter(
        tmp_path, BatchOptions(max_lines=1), lambda r: {"model": "m", "pages": len(r.images)}
    )
    lined = LinedImages()
    a = SourceFile("/in/a.pdf", "a" * 64, "pdf")
    b = SourceFile("/in/b.pdf", "b" * 64, "pdf")
    for request, count in [
        (_request("line-a", a, [(1, b"cover"), (2, b"page a2")]), 2),
        (_request("line-b", b, [(1, b"page b1"), (2, b"cover"), (3, b"page b1")]), 3),
    ]:
        sorted_request = lined.sort(request, count)
        assert sorted_request.request is not None
        writer.add(sorted_request.request, count)
        for copy in sorted_request.copies:
            writer.add_copy(copy)
    first, second = writer.close()

    line_a = read_line_maps(first.map_path)["line-a"]
    line_b = read_line_maps(second.map_path)["line-b"]
    assert [p.page for p in line_a.pages] == [1, 2] and [p.page for p in line_b.pages] == [1]
    assert [(c.source.path, c.page.page, c.of_page) for c in line_a.copies] == [("/in/b.pdf", 2, 1)]
    assert [(c.source.path, c.page.page, c.of_page) for c in line_b.copies] == [("/in/b.pdf", 3, 1)]
    assert json.loads(second.path.read_text())["body"]["pages"] == 1
