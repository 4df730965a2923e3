"""`--batch` end to end against the test batch server: the same requests as online, answers
ingested as online answers, what the batches left asked again online, every page one row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from batch_runs import KEY, batch_run
from batch_server import BatchServer, read_input
from chat_server import ChatServer
from chat_server.reading import RecordedRequest, parse_request
from harness import run
from markers import make_marked_image, make_marked_pdf
from page_checks import assert_every_page_once_ok

from flows.options.config import Secrets

PAGES = 3 + 5 + 1


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_pdf(folder / "doc_1.pdf", 1, 3)
    make_marked_pdf(folder / "doc_2.pdf", 2, 5)
    make_marked_image(folder / "photo_3.jpg", 3)
    return folder


@pytest.fixture
def batch_server() -> Iterator[BatchServer]:
    with BatchServer(api_key=KEY) as server:
        yield server


def _sent(record: RecordedRequest) -> tuple[object, ...]:
    return (
        tuple(record.marker_values),
        tuple(record.image_sizes),
        tuple(record.texts),
        json.dumps(record.response_format, sort_keys=True),
        record.max_tokens_field,
        record.max_tokens,
        record.temperature,
        record.model,
    )


def _batch_requests(server: BatchServer) -> list[RecordedRequest]:
    """The requests of every batch input file the server was given, read as online ones."""
    records = []
    for job in server.jobs.values():
        for line in job.lines:
            record = RecordedRequest(path="batch")
            parse_request(json.dumps(line.body).encode(), record, True)
            records.append(record)
    return records


def test_a_batch_run_sends_the_online_requests_and_ingests_every_answer(
    inputs: Path, batch_server: BatchServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    outcome = batch_run([inputs], out, base_url=batch_server.base_url, max_images=2)
    with ChatServer() as online:
        run([inputs], tmp_path / "online", base_url=online.base_url, model="m", max_images=2)
        online_sent = sorted(_sent(r) for r in online.requests)

    assert outcome.collected and outcome.online is not None
    assert batch_server.created == 1
    assert sorted(_sent(r) for r in _batch_requests(batch_server)) == online_sent
    assert batch_server.request_count == 0  # nothing was asked online
    assert outcome.online.pages_skipped == PAGES
    df = assert_every_page_once_ok(out, PAGES)
    (batch_id,) = batch_server.jobs
    assert df["batch_id"].unique().to_list() == [batch_id]
    assert df["prompt_tokens"].sum() > 0 and df["completion_tokens"].min() > 0
    assert {m for m, _ in batch_server.calls} == {"GET", "POST"}
    assert set(batch_server.authorizations) == {f"Bearer {KEY}"}
    assert list((out / "batches").glob("state-*.json"))  # the plan is archived once collected


def test_failed_invalid_and_missing_lines_are_asked_again_online(
    inputs: Path, batch_server: BatchServer, tmp_path: Path
) -> None:
    batch_server.line_faults = {
        0: "status:500",
        1: "error",
        2: "invalid_json",
        3: "missing",
        4: "drop",
    }
    out = tmp_path / "out"
    outcome = batch_run([inputs], out, base_url=batch_server.base_url, max_images=2)

    df = assert_every_page_once_ok(out, PAGES)
    lines = next(iter(batch_server.jobs.values())).lines
    pages_of = [len(line.body["messages"][0]["content"]) // 2 for line in lines]
    # Lines 0-2 and 4 lose all their pages, line 3 the last of its two.
    again = sum(pages_of[i] for i in (0, 1, 2, 4)) + 1
    assert outcome.online is not None
    assert (outcome.online.pages_ok, outcome.online.pages_skipped) == (again, PAGES - again)
    assert df.filter(pl.col("batch_id").is_null()).height == again
    assert batch_server.created == 1


def test_an_expired_batch_has_its_unrun_pages_asked_online(
    inputs: Path, batch_server: BatchServer, tmp_path: Path
) -> None:
    batch_server.expire_after = 1
    out = tmp_path / "out"
    outcome = batch_run([inputs], out, base_url=batch_server.base_url, max_images=2)

    df = assert_every_page_once_ok(out, PAGES)
    assert outcome.collected
    (job,) = batch_server.jobs.values()
    first_line_pages = len(job.lines[0].body["messages"][0]["content"]) // 2
    assert df.filter(pl.col("batch_id").is_not_null()).height == first_line_pages  # its one line
    assert batch_server.request_count >= 1


def test_pages_that_fail_in_the_batch_and_online_are_error_rows_saying_why(
    inputs: Path, batch_server: BatchServer, tmp_path: Path
) -> None:
    batch_server.line_faults = {0: "error"}
    batch_server.fault_rates = {"status:400": 1.0}  # and online every request is refused
    out = tmp_path / "out"
    batch_run([inputs], out, base_url=batch_server.base_url, max_images=2)

    df = pl.read_parquet(out / "pages" / "*.parquet")
    assert df.height == PAGES and df.group_by("source", "page").len()["len"].max() == 1
    errors = df.filter(pl.col("status") == "error")
    (job,) = batch_server.jobs.values()
    assert errors.height == len(job.lines[0].body["messages"][0]["content"]) // 2
    assert errors["error"].str.contains("HTTP 400").all()


def test_a_rerun_after_everything_is_ok_submits_no_batch_and_sends_nothing(
    inputs: Path, batch_server: BatchServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    batch_run([inputs], out, base_url=batch_server.base_url)
    calls = len(batch_server.calls)
    again = batch_run([inputs], out, base_url=batch_server.base_url)

    assert again.collected and batch_server.created == 1
    assert len(batch_server.calls) == calls and batch_server.request_count == 0
    assert_every_page_once_ok(out, PAGES)


def test_no_wait_submits_then_later_runs_collect(
    inputs: Path, batch_server: BatchServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    outcomes = [
        batch_run([inputs], out, base_url=batch_server.base_url, no_wait=True) for _ in range(4)
    ]

    # Each run looks once, and the server moves a batch one state per look: in_progress,
    # finalizing, completed (collected); the fourth run finds everything ok.
    assert [o.collected for o in outcomes] == [False, False, True, True]
    assert batch_server.created == 1
    assert batch_server.request_count == 0
    assert_every_page_once_ok(out, PAGES)


@pytest.mark.parametrize(
    ("limit", "files"),
    [({"max_lines": 2}, [2, 2, 2]), ({"max_bytes": 1}, [1] * 6)],
)
def test_batch_files_are_split_within_the_limits(
    limit: dict[str, int],
    files: list[int],
    inputs: Path,
    batch_server: BatchServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import flows.orchestration.batch_phase as phase

    chosen = phase.batch_options
    monkeypatch.setattr(
        phase,
        "batch_options",
        lambda request, resolved: replace(chosen(request, resolved), **limit),
    )
    out = tmp_path / "out"
    batch_run([inputs], out, base_url=batch_server.base_url, max_images=2)

    # 6 requests (2 + 1, 2 + 2 + 1 and 1 pages), each file within the limit, one batch each.
    assert sorted(len(job.lines) for job in batch_server.jobs.values()) == files
    written = sorted((out / "batches").glob("*/input-*[0-9].jsonl"))
    assert [len(read_input(path.read_bytes())) for path in written] == files
    assert_every_page_once_ok(out, PAGES)


def test_batch_flags_need_batch_and_a_provider_with_a_batch_api(tmp_path: Path) -> None:
    from extractors.errors import RunAbortedError
    from flows.options.config import RunRequest, resolve_run
    from flows.orchestration.batch_checks import check_batch_request

    def problem(**fields: object) -> str:
        request = RunRequest(inputs=["x"], out=str(tmp_path), **fields)  # type: ignore[arg-type]
        with pytest.raises(RunAbortedError) as raised:
            check_batch_request(request, resolve_run(request, Secrets(api_key="k")))
        return str(raised.value)

    assert problem(no_wait=True) == "--no-wait needs --batch"
    assert "no batch API" in problem(batch=True, provider="ollama")
    assert "--batch-bucket" in problem(batch=True, provider="scaleway")
    assert "vision endpoint" in problem(batch=True)
    assert "per-page" in problem(batch=True, provider="openai", schema_name="receipt")


def test_mistral_batches_use_its_line_format_and_job_routes(
    inputs: Path, batch_server: BatchServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    outcome = batch_run([inputs], out, provider="mistral", base_url=batch_server.base_url)

    assert outcome.collected and batch_server.request_count == 0
    (job,) = batch_server.jobs.values()
    assert job.flavour == "mistral"
    assert {(line.method, line.url) for line in job.lines} == {(None, None)}
    paths = {path for _, path in batch_server.calls}
    assert f"/v1/batch/jobs/{job.id}" in paths and not any("/batches" in p for p in paths)
    df = assert_every_page_once_ok(out, PAGES)
    assert df["provider"].unique().to_list() == ["mistral"]
    assert max(len(line.body["messages"][0]["content"]) // 2 for line in job.lines) <= 8
