"""The stages end to end against a real chat-completions server on 127.0.0.1 (no Prefect)."""

from pathlib import Path

import polars as pl
import pytest
from chat_server import ChatServer, hang, mangle, status
from harness import run
from markers import make_marked_image, make_marked_pdf
from page_checks import expected_by_page, read_pages

from extractors.errors import FatalEndpointError
from flows.options.config import Secrets


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """A 30-page PDF and 10 single-page images, every page marked with its identity."""
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_pdf(folder / "doc_1.pdf", 1, 30)
    for index in range(10):
        make_marked_image(folder / f"img_{index + 2}.jpg", index + 2)
    return folder


def test_chunks_fit_concurrency_holds_and_rerun_sends_nothing(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    # Answers slow enough that, even on a loaded machine, the pages of all 13 requests are
    # drawn before the first answer frees a slot: 8 in flight is then a count, not a race.
    with ChatServer(latency=1.5, context_tokens=128_000) as server:
        summary, session = run(
            [inputs],
            out,
            base_url=server.base_url,
            model="pixtral-12b-2409",
            concurrency=8,
            max_images=12,
        )
        sizes = [r.n_images for r in server.requests]
        assert max(sizes) == 12 and all(n <= 12 for n in sizes)
        assert sorted(sizes) == [1] * 10 + [6, 12, 12]
        assert all(r.status == 200 for r in server.requests)  # every request fit the context
        assert server.max_in_flight == 8
        assert session.pool.stats.max_in_flight == 8
        df = read_pages(out)
        assert df.height == 40 and df["status"].unique().to_list() == ["ok"]
        assert df.group_by("source", "page").len()["len"].max() == 1
        expected_by_page(df)

        server.reset_stats()
        summary, _ = run([inputs], out, base_url=server.base_url, model="pixtral-12b-2409")
        assert server.request_count == 0
        assert summary.pages_skipped == 40
        assert read_pages(out).height == 40


def test_images_are_sized_for_the_profile(inputs: Path, tmp_path: Path) -> None:
    with ChatServer() as server:
        run(
            [inputs / "doc_1.pdf"],
            tmp_path / "out",
            base_url=server.base_url,
            model="pixtral-12b-2409",
            max_images=12,
        )
        sent = {size for r in server.requests for size in r.image_sizes}
        assert sent == {(791, 1024)}  # a letter page: Pixtral keeps 1024 on the long side
        assert {m for r in server.requests for m in r.image_mimes} == {"image/jpeg"}
        df = read_pages(tmp_path / "out")
        assert df["image_tokens"].unique().to_list() == [3264]


@pytest.mark.parametrize(
    "fault",
    [
        "shuffled",
        "missing",
        "duplicated",
        "conflicting_duplicate",
        "extra",
        "out_of_range",
        "fenced",
        "invalid_json",
        "truncated",
        "bare_list",
        "empty",
    ],
)
def test_bad_answers_are_matched_or_reasked_never_misplaced(fault: str, tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "doc_7.pdf", 7, 5)
    with ChatServer() as server:
        server.inject(mangle(fault))
        run([tmp_path / "doc_7.pdf"], tmp_path / "out", base_url=server.base_url, model="m")
        df = read_pages(tmp_path / "out")
    assert df.height == 5
    assert df["status"].to_list() == ["ok"] * 5
    expected_by_page(df)


def test_transient_errors_are_retried_honouring_retry_after(tmp_path: Path) -> None:
    make_marked_image(tmp_path / "img_3.png", 3)
    with ChatServer() as server:
        server.inject(status(429, retry_after=1), status(503), status(429, retry_after_ms=300))
        run([tmp_path / "img_3.png"], tmp_path / "out", base_url=server.base_url, model="m")
        starts = [r.started_at for r in sorted(server.requests, key=lambda r: r.started_at)]
    df = read_pages(tmp_path / "out")
    assert df["status"].to_list() == ["ok"] and df["attempts"].to_list() == [4]
    assert starts[1] - starts[0] >= 1.0  # Retry-After: 1 second
    assert starts[3] - starts[2] >= 0.3  # retry-after-ms: 300


def test_a_page_that_never_gets_an_answer_is_an_error_row(tmp_path: Path) -> None:
    make_marked_image(tmp_path / "img_3.png", 3)
    with ChatServer() as server:
        server.inject(*["empty"] * 6)  # the first ask and its five re-asks
        run([tmp_path], tmp_path / "out", base_url=server.base_url, model="m")
        assert server.request_count == 6
    df = read_pages(tmp_path / "out")
    assert df["status"].to_list() == ["error"] and df["attempts"].to_list() == [6]
    assert df["error"][0] == "no usable answer: empty answer"
    assert df["error_category"][0] == "answer"


def test_too_many_images_splits_the_request(tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "doc_5.pdf", 5, 10)
    with ChatServer(max_images=4) as server:
        run([tmp_path / "doc_5.pdf"], tmp_path / "out", base_url=server.base_url, model="m")
    df = read_pages(tmp_path / "out")
    assert df["status"].to_list() == ["ok"] * 10
    expected_by_page(df)


def test_authentication_refused_aborts_the_run(tmp_path: Path) -> None:
    make_marked_image(tmp_path / "img_3.png", 3)
    with ChatServer(api_key="right") as server, pytest.raises(FatalEndpointError, match="401"):
        run(
            [tmp_path],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            secrets=Secrets(api_key="wrong-key-123"),
        )
    assert server.request_count == 1  # no retries on 401


def test_an_endpoint_that_never_answered_stops_the_run_after_a_few_attempts(
    tmp_path: Path,
) -> None:
    make_marked_image(tmp_path / "img_3.png", 3)
    server = ChatServer().start()
    base_url = server.base_url
    server.stop()  # nothing listens on that port any more
    with pytest.raises(FatalEndpointError, match=f"cannot connect to {base_url}: .*ConnectError"):
        run([tmp_path], tmp_path / "out", base_url=base_url, model="m", timeout=2)


def test_bad_inputs_become_error_rows_and_every_other_page_completes(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_pdf(folder / "doc_1.pdf", 1, 3)
    (folder / "notes.txt").write_text("not a document")
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\n garbage")
    (folder / "report.docx").write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200)
    with ChatServer() as server:
        run([folder], tmp_path / "out", base_url=server.base_url, model="m")
    df = read_pages(tmp_path / "out")
    errors = dict(df.filter(pl.col("status") == "error").select("source", "error").iter_rows())
    assert set(map(lambda p: Path(p).name, errors)) == {
        "notes.txt",
        "empty.pdf",
        "broken.png",
        "corrupt.pdf",
        "report.docx",
    }
    assert "unsupported file type" in errors[str(folder / "notes.txt")]
    assert "unsupported file type" in errors[str(folder / "report.docx")]
    assert errors[str(folder / "empty.pdf")] == "empty file"
    assert df.filter(pl.col("status") == "error")["page"].null_count() == 5
    assert df.filter(pl.col("status") == "ok").height == 3


def test_error_pages_are_retried_and_replaced_on_rerun(tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "doc_2.pdf", 2, 3)
    with ChatServer() as server:
        server.inject(*[status(500)] * 8)  # the first request exhausts its 8 attempts
        run([tmp_path / "doc_2.pdf"], tmp_path / "out", base_url=server.base_url, model="m")
        first = read_pages(tmp_path / "out")
        assert first["status"].to_list() == ["error"] * 3
        assert "HTTP 500" in first["error"][0]
        server.reset_stats()
        run([tmp_path / "doc_2.pdf"], tmp_path / "out", base_url=server.base_url, model="m")
        assert server.request_count == 1
    final = read_pages(tmp_path / "out")
    assert final.height == 3 and final["status"].to_list() == ["ok"] * 3
    expected_by_page(final)


def test_a_changed_model_redoes_pages_and_leaves_one_row_each(tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "doc_2.pdf", 2, 2)
    with ChatServer() as server:
        run([tmp_path], tmp_path / "out", base_url=server.base_url, model="a")
        run([tmp_path], tmp_path / "out", base_url=server.base_url, model="b")
        assert server.request_count == 2
    df = read_pages(tmp_path / "out")
    assert df.height == 2 and df["model"].unique().to_list() == ["b"]


def test_same_content_at_another_path_is_copied_without_requests(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    make_marked_pdf(tmp_path / "a" / "doc_2.pdf", 2, 2)
    (tmp_path / "b" / "doc_2.pdf").write_bytes((tmp_path / "a" / "doc_2.pdf").read_bytes())
    with ChatServer() as server:
        run([tmp_path / "a"], tmp_path / "out", base_url=server.base_url, model="m")
        run([tmp_path / "a", tmp_path / "b"], tmp_path / "out", base_url=server.base_url, model="m")
        assert server.request_count == 1
    df = read_pages(tmp_path / "out")
    assert df.height == 4 and df["status"].to_list() == ["ok"] * 4
    expected_by_page(df)


def test_prompt_only_provider_without_v1_and_legacy_text(tmp_path: Path) -> None:
    make_marked_image(tmp_path / "img_3.png", 3)
    with ChatServer(prefix="", supports_response_format=False, legacy_text=True) as server:
        run(
            [tmp_path],
            tmp_path / "out",
            provider="predictionguard",
            base_url=server.url,
            secrets=Secrets(api_key="pg-key"),
        )
        assert server.requests[0].response_format is None
        assert server.requests[0].image_sizes == [(336, 336)]  # LLaVA: padded square
    df = read_pages(tmp_path / "out")
    assert df["status"].to_list() == ["ok"] and df["provider"].to_list() == ["predictionguard"]


def test_a_hung_request_times_out_and_is_retried(tmp_path: Path) -> None:
    make_marked_image(tmp_path / "img_3.png", 3)
    with ChatServer() as server:
        server.inject(hang(5), "reset")
        run([tmp_path], tmp_path / "out", base_url=server.base_url, model="m", timeout=0.5)
    df = read_pages(tmp_path / "out")
    assert df["status"].to_list() == ["ok"] and df["attempts"].to_list() == [3]
    expected_by_page(df)


def test_an_answer_cut_off_at_its_token_limit_is_split_and_asked_again(tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "doc_1.pdf", 1, 12)
    with ChatServer() as server:
        server.inject("truncated")  # the twelve-page answer stops at 60% of its text
        run([tmp_path / "doc_1.pdf"], tmp_path / "out", base_url=server.base_url, model="m")
        first, *again = [r.n_images for r in server.requests]
    df = read_pages(tmp_path / "out")
    assert df["status"].to_list() == ["ok"] * 12
    expected_by_page(df)
    assert first == 12
    # The pages the cut-off answer left are asked again in two smaller requests.
    assert len(again) == 2 and sum(again) < 12 and max(again) <= (sum(again) + 1) // 2


def test_a_small_context_fits_its_answer_room_and_every_page_is_ok(tmp_path: Path) -> None:
    pdf, small = tmp_path / "doc_1.pdf", {"context_tokens": 6_000}
    make_marked_pdf(pdf, 1, 3)
    with ChatServer(**small) as server:
        run([pdf], tmp_path / "out", base_url=server.base_url, model="m", **small)
        statuses = [r.status for r in server.requests]
        answer_room = {r.max_tokens for r in server.requests}
    assert read_pages(tmp_path / "out")["status"].to_list() == ["ok"] * 3
    assert set(statuses) == {200}  # never refused for its context
    assert answer_room and max(a or 0 for a in answer_room) <= 3_000
