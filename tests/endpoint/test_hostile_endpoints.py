"""Endpoints that misbehave on purpose: every page still ends as one row, and the run in time."""

import logging
from pathlib import Path

import polars as pl
import pytest
from chat_server import ChatServer, raw, redirect, status, trickle, usage
from harness import run
from markers import make_marked_image
from page_checks import assert_every_page_once_ok, read_pages
from recorded_progress import RecordedRetries

HTML = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n" * 4


def one_image(folder: Path) -> Path:
    make_marked_image(folder / "img_1.png", 1, size=(300, 400))
    return folder


def test_a_trickled_answer_is_cut_at_the_timeout_and_retried(tmp_path: Path) -> None:
    timeout = 2.0
    progress = RecordedRetries()
    with ChatServer() as server:
        # ~600 bytes at 2 a second: five minutes for an attempt bounded per read only.
        server.inject(trickle(0.5))
        run(
            [one_image(tmp_path)],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            timeout=timeout,
            progress=progress,
        )
        trickled, answered = server.requests
    assert trickled.fault is not None and trickled.fault.kind == "trickle"
    assert trickled.status is None and answered.status == 200  # cut off, then asked again
    # The server saw the client leave after about `timeout`; 3x is slack for a loaded machine.
    assert trickled.finished_at - trickled.started_at < 3 * timeout
    assert [reason for reason, _ in progress.retries] == ["request timed out"]
    df = assert_every_page_once_ok(tmp_path / "out", 1)
    assert df["attempts"].to_list() == [2]


def test_a_day_long_retry_after_is_capped_and_said(tmp_path: Path) -> None:
    progress = RecordedRetries()
    with ChatServer() as server:
        server.inject(status(429, retry_after=86400))
        run(
            [one_image(tmp_path)],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            max_retry_wait=0.5,
            progress=progress,
        )
        statuses = [r.status for r in server.requests]
        (first, second) = server.requests
    ((reason, wait),) = progress.retries
    assert wait == 0.5
    # First: the terminal shows a reason's first 60 characters.
    assert reason.startswith("endpoint asks to wait 86400 s, capped at 0.5 s; ")
    assert statuses == [429, 200] and second.started_at > first.finished_at
    assert_every_page_once_ok(tmp_path / "out", 1)


def test_a_redirect_to_another_origin_is_not_followed(tmp_path: Path) -> None:
    with ChatServer() as server, ChatServer() as elsewhere:
        # Another port of the same host is another origin: it must never see the images.
        server.inject(redirect(f"{elsewhere.base_url}/chat/completions"))
        run([one_image(tmp_path)], tmp_path / "out", base_url=server.base_url, model="m")
        asked, elsewhere_asked = server.request_count, elsewhere.request_count
        other_origin = f"http://127.0.0.1:{elsewhere.port}"
    assert (asked, elsewhere_asked) == (1, 0)  # not retried, and not followed
    row = read_pages(tmp_path / "out").row(0, named=True)
    assert row["status"] == "error" and row["error_category"] == "endpoint"
    assert row["error"] == f"endpoint redirected to {other_origin}; not followed"
    assert row["attempts"] == 1


def test_a_redirect_within_the_endpoint_is_followed(tmp_path: Path) -> None:
    with ChatServer() as server:
        server.inject(redirect(f"{server.base_url}/chat/completions", code=308))
        run([one_image(tmp_path)], tmp_path / "out", base_url=server.base_url, model="m")
        statuses = [r.status for r in server.requests]
    assert statuses == [308, 200]
    assert_every_page_once_ok(tmp_path / "out", 1)


def test_a_200_that_is_not_json_is_retried(tmp_path: Path) -> None:
    progress = RecordedRetries()
    with ChatServer() as server:
        server.inject(raw(HTML), raw(HTML))
        run(
            [one_image(tmp_path)],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            progress=progress,
        )
    said = "endpoint answered 200 with a body that is not JSON: '<html><head><title>502 Bad"
    assert [reason.startswith(said) for reason, _ in progress.retries] == [True, True]
    df = assert_every_page_once_ok(tmp_path / "out", 1)
    assert df["attempts"].to_list() == [3]


def test_a_200_that_is_never_json_ends_as_an_endpoint_error(tmp_path: Path) -> None:
    with ChatServer() as server:
        server.inject(*[raw(HTML, content_type="application/json")] * 8)
        run([one_image(tmp_path)], tmp_path / "out", base_url=server.base_url, model="m")
        asked = server.request_count
    row = read_pages(tmp_path / "out").row(0, named=True)
    assert asked == 8 and row["attempts"] == 8
    assert row["status"] == "error" and row["error_category"] == "endpoint"
    shown = " ".join(HTML.decode().split())[:80]
    assert row["error"] == (
        f"endpoint answered 200 with a body that is not JSON: {shown!r} (gave up after 8 attempts)"
    )


@pytest.mark.parametrize(
    "figures",
    [
        {"prompt_tokens": 1e13, "completion_tokens": -5},
        {"prompt_tokens": "many", "completion_tokens": 2.5},
        {"prompt_tokens": 10**19, "completion_tokens": None},
    ],
)
def test_absurd_usage_figures_become_null(
    tmp_path: Path, figures: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    with ChatServer() as server, caplog.at_level(logging.WARNING):
        server.inject(usage(**figures))
        _summary, session = run(
            [one_image(tmp_path)], tmp_path / "out", base_url=server.base_url, model="m"
        )
    df = assert_every_page_once_ok(tmp_path / "out", 1)
    assert df.select("prompt_tokens", "completion_tokens").row(0) == (None, None)
    assert df.schema["prompt_tokens"].is_integer()
    assert session.pool.stats.prompt_tokens == session.pool.stats.completion_tokens == 0
    warned = [r.getMessage() for r in caplog.records if r.name.startswith("extractors.")]
    reported = [name for name, value in figures.items() if value is not None]
    assert len(warned) == len(reported)
    assert all("not a token count in [0, 1000000000]; stored as null" in w for w in warned)
    assert pl.read_parquet(next((tmp_path / "out" / "pages").rglob("*.parquet"))).height == 1
