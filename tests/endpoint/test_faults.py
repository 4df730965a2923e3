"""Endpoint faults and limits against the real local server: every page ends as exactly one row."""

from pathlib import Path

import pytest
from chat_server import ChatServer, status
from fault_mix import FAULT_MIX, make_fault_mix_inputs
from harness import run
from markers import make_marked_image, make_marked_pdf
from page_checks import assert_every_page_once_ok, read_pages

from extractors.document.session import ExtractionSession
from extractors.errors import FatalEndpointError
from extractors.plan.profiles.registry import get_profile
from flows.options.config import Secrets


def small_images(folder: Path, count: int) -> None:
    """`count` single-page marked JPEGs, small enough that requests cost little to make."""
    for index in range(count):
        make_marked_image(folder / f"img_{index + 1}.jpg", index + 1, size=(300, 400))


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_server_errors_are_retried(code: int, tmp_path: Path) -> None:
    make_marked_image(tmp_path / "img_3.png", 3)
    with ChatServer() as server:
        server.inject(status(code), status(code))
        run([tmp_path], tmp_path / "out", base_url=server.base_url, model="m")
        assert [r.status for r in server.requests] == [code, code, 200]
    df = assert_every_page_once_ok(tmp_path / "out", 1)
    assert df["attempts"].to_list() == [3]


def test_forbidden_stops_the_run_without_retries(tmp_path: Path) -> None:
    make_marked_image(tmp_path / "img_3.png", 3)
    with ChatServer() as server, pytest.raises(FatalEndpointError, match="HTTP 403"):
        server.inject(status(403, message="Forbidden: project has no access to this model"))
        run([tmp_path], tmp_path / "out", base_url=server.base_url, model="m", concurrency=4)
    assert server.request_count == 1


def test_vllm_image_limit_is_learned_once_for_the_whole_run(tmp_path: Path) -> None:
    for doc in (1, 2, 3):
        make_marked_pdf(tmp_path / f"doc_{doc}.pdf", doc, 10)
    with ChatServer(max_images=4) as server:  # 400 "At most 4 image(s) ..."
        _, session = run(
            [tmp_path], tmp_path / "out", base_url=server.base_url, model="m", concurrency=1
        )
        refused = [r for r in server.requests if r.status == 400]
        after = server.requests[server.requests.index(refused[0]) + 1 :]
    assert len(refused) == 1 and refused[0].n_images == 10
    assert all(r.n_images <= 4 and r.status == 200 for r in after)
    assert session.learned.max_images == 4
    assert session.learned.lessons == ["images per request lowered to 4"]
    assert_every_page_once_ok(tmp_path / "out", 30)


def test_scaleway_managed_413_lowers_images_per_request(tmp_path: Path) -> None:
    for doc in (1, 2):
        make_marked_pdf(tmp_path / f"doc_{doc}.pdf", doc, 16)
    with ChatServer(max_images=12, too_many_images_status=413) as server:
        _, session = run(
            [tmp_path],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            concurrency=1,
            max_images=16,
        )
        statuses = [r.status for r in server.requests]
    assert statuses.count(413) == 1  # learned from the first refusal: 16 -> 8 per request
    assert session.learned.max_images == 8
    assert_every_page_once_ok(tmp_path / "out", 32)


def test_context_length_refusal_is_learned_and_requests_shrink(tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "doc_4.pdf", 4, 12)
    with ChatServer(context_tokens=40_000) as server:
        _, session = run(
            [tmp_path],
            tmp_path / "out",
            base_url=server.base_url,
            model="pixtral-12b-2409",
            concurrency=1,
            max_images=12,
            max_output_tokens=12_288,
        )
        statuses = [r.status for r in server.requests]
        sizes = [r.n_images for r in server.requests]
    # 12 pages of 3,264 tokens + 12,288 answer tokens > 40,000: refused once, then 8 + 4 (the
    # smaller chunk is rendered, so sent, first).
    assert statuses == [400, 200, 200] and sorted(sizes[1:]) == [4, 8]
    assert session.learned.context_tokens == 40_000
    assert_every_page_once_ok(tmp_path / "out", 12)


def test_context_refusal_without_a_figure_shrinks_a_single_page(tmp_path: Path) -> None:
    make_marked_image(tmp_path / "img_5.png", 5, size=(1200, 1600))
    with ChatServer() as server:
        server.inject(status(400, message="prompt is too long for this model"))
        run([tmp_path], tmp_path / "out", base_url=server.base_url, model="pixtral-12b-2409")
        assert [r.status for r in server.requests] == [400, 200]
        width, height = server.requests[1].image_sizes[0]
    full_width, full_height = get_profile("pixtral").fit(1200, 1600)  # what was refused
    assert width * height < full_width * full_height * 0.6  # half the tokens: ~half the pixels
    assert_every_page_once_ok(tmp_path / "out", 1)


def test_sustained_429s_lower_concurrency_and_it_recovers(tmp_path: Path) -> None:
    small_images(tmp_path, 60)
    with ChatServer(latency=0.1, capacity=4, capacity_retry_ms=50) as server:
        _, session = run(
            [tmp_path], tmp_path / "out", base_url=server.base_url, model="m", concurrency=16
        )
        throttled = server.over_capacity
    report = session.pool.gate.concurrency.report
    assert report.lowered >= 1 and report.lowest <= 4
    assert session.pool.stats.throttled == throttled > 0
    # Once lowered, the pipeline stops hammering: far fewer 429s than answered requests.
    assert throttled < 60
    assert_every_page_once_ok(tmp_path / "out", 60)


def run_rate_limited(tmp_path: Path, server: ChatServer, **limits: int) -> ExtractionSession:
    """A run of the images in tmp_path under `limits`, in 1-second "minutes" to stay short."""
    _, session = run(
        [tmp_path],
        tmp_path / "out",
        base_url=server.base_url,
        model="m",
        concurrency=8,
        rate_window=1.0,
        **limits,
    )
    return session


def test_requests_per_minute_are_respected(tmp_path: Path) -> None:
    small_images(tmp_path, 12)
    with ChatServer() as server:
        # At most 4 requests in any 1 s.
        session = run_rate_limited(tmp_path, server, requests_per_minute=4)
        starts = sorted(r.started_at for r in server.requests)
    assert len(starts) == 12
    for first in starts:
        assert sum(1 for t in starts if first <= t < first + 0.95) <= 4
    # 12 requests at 4 per second need two refills (server clocks see ~ms of jitter).
    assert starts[-1] - starts[0] >= 1.9
    assert session.pool.gate.current_report().rate_wait_seconds > 0
    assert_every_page_once_ok(tmp_path / "out", 12)


def test_tokens_per_minute_are_respected(tmp_path: Path) -> None:
    small_images(tmp_path, 16)
    with ChatServer() as server:
        # ~2,100 tokens per request charged before its answer, ~600 after.
        session = run_rate_limited(
            tmp_path, server, max_output_tokens=1_024, tokens_per_minute=6_000
        )
        usage = sorted((r.started_at, r.total_tokens) for r in server.requests)
    assert session.pool.gate.token_window is not None and session.pool.gate.token_window.waits > 0
    assert sum(tokens for _, tokens in usage) > 6_000  # more than one window's worth in all
    for first, _ in usage:  # no 1-s window holds more than 6,000 tokens of real usage
        assert sum(tokens for t, tokens in usage if first <= t < first + 0.95) <= 6_000
    assert_every_page_once_ok(tmp_path / "out", 16)


@pytest.mark.slow
def test_fault_mix_over_200_pages_ends_with_every_page_once_ok(tmp_path: Path) -> None:
    pages = make_fault_mix_inputs(tmp_path / "in")
    with ChatServer(latency=0.02, fault_rates=FAULT_MIX, seed=7) as server:
        summary, session = run(
            [tmp_path / "in"],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            concurrency=16,
            timeout=1.0,
        )
        faults = sum(1 for r in server.requests if r.fault is not None)
    assert faults > 20
    assert session.pool.stats.retries > 0
    assert summary.pages_ok == pages and summary.pages_error == 0
    assert_every_page_once_ok(tmp_path / "out", pages)


def test_the_api_key_never_reaches_error_rows(tmp_path: Path) -> None:
    key = "sk-vb-test-0123456789abcdef"
    make_marked_pdf(tmp_path / "doc_2.pdf", 2, 2)
    with ChatServer(api_key=key) as server:
        # A provider that echoes the key in its error message, on every attempt.
        server.inject(*[status(400, message=f"bad request for key {key}")] * 3)
        run(
            [tmp_path],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            secrets=Secrets(api_key=key),
        )
    df = read_pages(tmp_path / "out")
    assert df["status"].to_list() == ["error", "error"]
    assert all("bad request for key ***" in e for e in df["error"])
    written = b"".join(p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert key.encode() not in written
