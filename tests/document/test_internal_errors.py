"""A bug in one document (its extract, resume, rows or their write) becomes that document's
`internal` error row: its shard and the run go on, and a rerun finishes the document."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from chat_server import ChatServer
from harness import run
from markers import make_marked_image, make_marked_pdf
from page_checks import assert_every_page_once_ok, read_pages
from planted_faults import PlantedBug, record_failing_for

from extractors.document.page_rows import PageRowBuilder
from extractors.document.page_unit import PageRowsUnit
from schemas import PageRow

FAILING = "img_3"


def _failing_method(method: Callable[..., Any]) -> Callable[..., Any]:
    """`method`, raising a planted bug when any argument is the failing input's layout or file."""

    def failing(self: object, *arguments: Any, **keywords: Any) -> Any:
        for argument in arguments:
            source = getattr(argument, "source", argument)
            if Path(str(getattr(source, "path", ""))).stem == FAILING:
                raise PlantedBug(f"planted bug in {FAILING}")
        return method(self, *arguments, **keywords)

    return failing


def _plant_in_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PageRowBuilder, "ok_rows", _failing_method(PageRowBuilder.ok_rows))


def _plant_in_extract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PageRowsUnit, "extract", _failing_async(PageRowsUnit.extract))


def _plant_in_resume(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PageRowsUnit, "resume", _failing_async(PageRowsUnit.resume))


def _plant_in_write(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PageRow, "as_record", record_failing_for(FAILING))


def _failing_async(method: Callable[..., Any]) -> Callable[..., Any]:
    check = _failing_method(lambda self, *a, **k: None)

    async def failing(self: object, *arguments: Any, **keywords: Any) -> Any:
        check(self, *arguments)
        return await method(self, *arguments, **keywords)

    return failing


@pytest.mark.parametrize(
    "plant",
    [_plant_in_extract, _plant_in_resume, _plant_in_rows, _plant_in_write],
    ids=["extract", "resume", "row building", "sink write"],
)
def test_a_bug_in_one_document_is_its_internal_error_row_and_the_others_complete(
    plant: Callable[[pytest.MonkeyPatch], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    for index in range(1, 6):
        make_marked_image(inputs / f"img_{index}.png", index, size=(200, 260))
    plant(monkeypatch)
    with ChatServer() as server:
        summary, _ = run([inputs], out, base_url=server.base_url, model="m", flush_rows=2)
    df = read_pages(out)
    failed = df.filter(pl.col("source").str.contains(FAILING))
    assert failed.height == 1 and failed["page"].to_list() == [None]
    assert failed["error_category"].to_list() == ["internal"]
    assert failed["error"].to_list() == [f"internal error: PlantedBug: planted bug in {FAILING}"]
    others = df.filter(~pl.col("source").str.contains(FAILING))
    assert others.height == 4 and others["status"].unique().to_list() == ["ok"]
    assert (summary.documents, summary.pages_ok, summary.pages_error) == (5, 4, 1)


def test_a_bug_half_way_through_a_long_pdf_keeps_its_rows_and_a_rerun_finishes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    make_marked_pdf(inputs / "doc_1.pdf", 1, 12, size=(120, 160))
    ok_rows = PageRowBuilder.ok_rows

    def failing_on_page_9(self: PageRowBuilder, *arguments: Any, **keywords: Any) -> Any:
        rows = ok_rows(self, *arguments, **keywords)
        if any(row.page == 9 for row in rows):
            raise PlantedBug("planted bug on page 9")
        return rows

    monkeypatch.setattr(PageRowBuilder, "ok_rows", failing_on_page_9)
    with ChatServer(latency=0.05) as server:
        request = {"base_url": server.base_url, "model": "m", "max_images": 2, "concurrency": 1}
        run([inputs], out, flush_rows=2, **request)
        first = read_pages(out)
        stored = set(first.filter(pl.col("status") == "ok")["page"].to_list())
        assert first.filter(pl.col("page").is_null())["error_category"].to_list() == ["internal"]
        assert stored and 9 not in stored
        monkeypatch.undo()
        server.reset_stats()
        run([inputs], out, **request)
        asked = {v % 256 for r in server.requests for v in r.marker_values if v is not None}
    assert asked == set(range(1, 13)) - stored
    assert_every_page_once_ok(out, 12)
