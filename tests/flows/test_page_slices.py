"""Long documents in page slices, each a shard of its own: the rows of a run of whole documents,
resume per page, and a slice that fails gives its pages' error rows, not the file's."""

import asyncio
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from chat_server import ChatServer
from harness import run
from markers import encode_value, expected_text, make_marked_image, make_marked_pdf

from extractors.discover.files import discover, shards
from extractors.discover.local_walk import FoundInput, PageSlice
from extractors.discover.page_ranges import parse_page_ranges
from extractors.discover.page_slices import spread_long_documents
from extractors.document.session import open_session
from extractors.document.shard import ShardSummary
from extractors.sink.store import read_rows
from flows.options.config import RunRequest, Secrets, page_slicing, resolve_run

# What differs between two runs of the same pages: the run, the clock, and the requests (a
# slice's pages are packed into requests of their own).
RUN_SPECIFIC = (
    "run_id",
    "extracted_at",
    "request_id",
    "request_images",
    "prompt_tokens",
    "completion_tokens",
    "latency_ms",
)
LONG_PAGES = 23


def _endpoint(server: ChatServer) -> dict[str, str]:
    return {"base_url": server.base_url, "model": "pixtral-12b-2409"}


def _request(inputs: list[Path], out: Path, server: ChatServer, **options: object) -> RunRequest:
    return RunRequest(
        inputs=[str(p) for p in inputs],
        out=str(out),
        **_endpoint(server),
        packing="full",
        **options,
    )


def _sliced_found(request: RunRequest) -> list[FoundInput]:
    """Discovery as a Dask run has it: long documents in slices (`--dask-slice-pages`)."""
    found = discover(request.inputs, (request.out,), request.discovery)
    return list(spread_long_documents(found, page_slicing(request, Secrets())))


async def _extract(request: RunRequest, found: Iterable[FoundInput]) -> ShardSummary:
    """The run's shards, each in its own part file, as Dask workers would write them."""
    resolved = resolve_run(request, Secrets())
    endpoint = replace(resolved.endpoint, backoff_base=0.01, backoff_cap=0.05)
    session = open_session(request.out, replace(resolved.session, endpoint=endpoint))
    totals = ShardSummary()
    async with session:
        for index, shard in enumerate(shards(found, request.shard_size)):
            totals.absorb(await session.extract_shard(shard, f"{index:05d}"))
        session.compact()
    return totals


def _inputs(folder: Path) -> list[Path]:
    folder.mkdir()
    make_marked_pdf(folder / "doc_1.pdf", 1, LONG_PAGES)
    make_marked_pdf(folder / "doc_2.pdf", 2, 2)
    make_marked_image(folder / "img_3.png", 3)
    return [folder]


def _rows(out: Path, root: Path) -> pl.DataFrame:
    frame = pl.DataFrame(read_rows(out / "pages")).drop(RUN_SPECIFIC)
    frame = frame.with_columns(pl.col("source").str.replace(str(root), "", literal=True))
    return frame.sort("source", "page")


@pytest.mark.parametrize("pages", [None, "3-9,-4"])
def test_a_run_of_slices_writes_the_rows_of_whole_documents_and_resumes_per_page(
    tmp_path: Path, pages: str | None
) -> None:
    inputs = _inputs(tmp_path / "inbox")
    with ChatServer() as server:
        run(inputs, tmp_path / "whole", **_endpoint(server), pages=pages)
        asked_whole = len(server.requests)
        request = _request(inputs, tmp_path / "sliced", server, pages=pages, dask_slice_pages=5)
        found = _sliced_found(request)
        summary = asyncio.run(_extract(request, found))
        asked_sliced = len(server.requests) - asked_whole
        again = asyncio.run(_extract(request, _sliced_found(request)))
        asked_again = len(server.requests) - asked_whole - asked_sliced
    slices = [f for f in found if isinstance(f, PageSlice)]
    selected = LONG_PAGES if pages is None else 11  # 3..9 and 20..23
    assert len(slices) == -(-selected // 5) and {s.parts for s in slices} == {len(slices)}
    sliced, whole = _rows(tmp_path / "sliced", tmp_path), _rows(tmp_path / "whole", tmp_path)
    assert sliced.height == whole.height == selected + 2 + 1
    assert sliced.to_dicts() == whole.to_dicts()
    for page, text in (
        sliced.filter(pl.col("source").str.ends_with("doc_1.pdf"))
        .select("page", "text")
        .iter_rows()
    ):
        assert text == expected_text(encode_value(1, page))
    # The files count as 3 documents, however many slices; each slice wrote its own part.
    assert summary.documents == 3 and summary.pages_ok == sliced.height
    assert asked_sliced >= asked_whole > 0
    # Resumed per page: nothing asked again, every page skipped, no row added.
    assert asked_again == 0 and again.pages_skipped == sliced.height
    assert _rows(tmp_path / "sliced", tmp_path).height == sliced.height


def test_a_slice_that_cannot_be_read_gives_an_error_row_per_page_of_it(tmp_path: Path) -> None:
    long = tmp_path / "doc_1.pdf"
    make_marked_pdf(long, 1, LONG_PAGES)
    with ChatServer() as server:
        request = _request([long], tmp_path / "out", server, dask_slice_pages=10)
        found = _sliced_found(request)  # counted and sliced, then broken before it is read
        long.write_bytes(b"%PDF-1.7 broken after it was counted")
        summary = asyncio.run(_extract(request, found))
    rows = pl.DataFrame(read_rows(tmp_path / "out" / "pages")).sort("page")
    assert len(found) == 3 and summary.documents == 1
    assert rows["page"].to_list() == list(range(1, LONG_PAGES + 1))  # no file row (page null)
    assert set(rows["status"]) == {"error"} and set(rows["error_category"]) == {"source"}
    assert set(rows["page_count"]) == {LONG_PAGES}
    assert summary.pages_error == LONG_PAGES


def test_a_document_schema_is_never_sliced(tmp_path: Path) -> None:
    with ChatServer() as server:
        request = _request([tmp_path], tmp_path / "out", server, schema_name="receipt")
        assert page_slicing(request, Secrets()) is None
        part = PageSlice(str(tmp_path / "a.pdf"), parse_page_ranges("1-2"), 4)

        async def slice_a_receipt() -> None:
            async with open_session(request.out, resolve_run(request, Secrets()).session) as s:
                with pytest.raises(TypeError, match="whole documents"):
                    s.orchestrator.sliced(part)

        asyncio.run(slice_a_receipt())


@pytest.mark.slow
def test_slices_of_a_long_pdf_on_a_local_cluster_of_two_workers_give_the_rows_of_a_local_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from flows.commands.cli import app
    from flows.orchestration import dask_shards

    original = dask_shards.run_on_dask

    async def run_on_dask_in_slices(plan: dask_shards.WorkerPlan, *given: Any) -> Any:
        # The wiring `run_on_dask` takes: a no-op once it slices for itself (a slice is
        # handed on as it is). The discovered inputs come before the tracker.
        *before, paths, tracker = given
        slicing = page_slicing(plan.request, plan.secrets)
        return await original(plan, *before, spread_long_documents(paths, slicing), tracker)

    monkeypatch.setattr(dask_shards, "run_on_dask", run_on_dask_in_slices)
    inputs = _inputs(tmp_path / "inbox")
    with ChatServer() as server:
        run(inputs, tmp_path / "whole", **_endpoint(server))
        options = ["--base-url", server.base_url, "--model", "pixtral-12b-2409"]
        scale = ["--dask", "local", "--dask-workers", "2", "--dask-slice-pages", "5"]
        on_dask = CliRunner().invoke(
            app,
            [
                "run",
                str(inputs[0]),
                "--out",
                str(tmp_path / "dask"),
                *options,
                *scale,
                "--shard-size",
                "2",
            ],
        )
        assert on_dask.exit_code == 0, on_dask.output
    sliced, whole = _rows(tmp_path / "dask", tmp_path), _rows(tmp_path / "whole", tmp_path)
    assert sliced.height == LONG_PAGES + 3
    assert sliced.to_dicts() == whole.to_dicts()
    # Five slices of doc_1 and one shard of the two short files: six shards, six parts.
    parts = {p.name.rsplit("-", 1)[0] for p in (tmp_path / "dask" / "pages").glob("part-*")}
    assert len(parts) == 6, parts
