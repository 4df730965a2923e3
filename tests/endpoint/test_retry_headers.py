"""Waits asked for in any header a gateway uses, and a run-wide limit holding every request."""

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from chat_server import ChatServer
from harness import run
from markers import make_marked_image
from page_checks import assert_every_page_once_ok

from extractors.endpoint.retry_after import AskedWait, asked_wait, duration_seconds


@pytest.mark.parametrize(
    ("headers", "asked"),
    [
        ({"retry-after": "2"}, AskedWait(2.0, run_wide=False)),
        ({"retry-after-ms": "250", "retry-after": "9"}, AskedWait(0.25, run_wide=False)),
        # LiteLLM's forms: the provider's Retry-After passed on, or its own limit's.
        ({"llm_provider-retry-after": "60"}, AskedWait(60.0, run_wide=True)),
        ({"llm_provider-retry-after-ms": "1500"}, AskedWait(1.5, run_wide=True)),
        # OpenAI-style resets: the limit that ran out says which one.
        (
            {
                "x-ratelimit-reset-requests": "1s",
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-reset-tokens": "6m0s",
                "x-ratelimit-remaining-tokens": "5000",
            },
            AskedWait(1.0, run_wide=True),
        ),
        (
            {"x-ratelimit-reset-requests": "20ms", "x-ratelimit-reset-tokens": "1m30.5s"},
            AskedWait(90.5, run_wide=True),
        ),
        # Retry-After first, but a reset header beside it says the limit is the run's.
        ({"retry-after": "3", "x-ratelimit-reset-tokens": "6m0s"}, AskedWait(3.0, run_wide=True)),
        ({"retry-after-ms": "soon", "retry-after": "4"}, AskedWait(4.0, run_wide=False)),
        ({"x-ratelimit-reset-requests": "whenever"}, None),
        ({}, None),
    ],
)
def test_waits_are_read_from_every_header_a_gateway_uses(
    headers: dict[str, str], asked: AskedWait | None
) -> None:
    assert asked_wait(headers) == asked


def test_a_retry_after_date_is_read_as_the_seconds_until_it() -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    asked = asked_wait({"retry-after": format_datetime(when, usegmt=True)})
    assert asked is not None and 25 < asked.seconds <= 30 and not asked.run_wide
    assert asked_wait({"retry-after": "not a date"}) is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("0.5", 0.5)],
)
def test_durations_read_as_openai_writes_them(text: str, seconds: float) -> None:
    assert duration_seconds(text) == pytest.approx(seconds)


CONCURRENCY = 4


class RateLimitedFront:
    """A gateway in front of a ChatServer: answers its first request 429 with `headers`, then
    passes every request on; records when each arrived and when the 429 went out.

    The 429 goes out once the first round of requests has arrived (sent before any could know
    of it), so that every request arriving after it was sent after the 429 was read.
    """

    def __init__(self, upstream: ChatServer, headers: dict[str, str]) -> None:
        self.upstream = upstream
        self.headers = headers
        self.arrivals: list[float] = []
        self.first_round = threading.Event()
        self.refused_at: float | None = None
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def arrived_within(self, seconds: float) -> int:
        """Requests that arrived in the `seconds` after the 429 went out."""
        assert self.refused_at is not None
        start = self.refused_at
        return sum(1 for t in self.arrivals if start < t < start + seconds)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        front = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return None  # quiet test output

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with front._lock:
                    front.arrivals.append(time.monotonic())
                    first = len(front.arrivals) == 1
                    if len(front.arrivals) == CONCURRENCY:
                        front.first_round.set()
                if first:
                    front.first_round.wait(timeout=5)
                    self._answer(429, b'{"error": {"message": "rate limited"}}', front.headers)
                    front.refused_at = time.monotonic()
                    return
                status, answer = front._forward(self.path, body)
                self._answer(status, answer, {})

            def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in {**headers, "Content-Type": "application/json"}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def _forward(self, path: str, body: bytes) -> tuple[int, bytes]:
        url = self.upstream.url + path
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read()


@contextmanager
def front_of(upstream: ChatServer, headers: dict[str, str]) -> Iterator[RateLimitedFront]:
    front = RateLimitedFront(upstream, headers)
    thread = threading.Thread(target=front.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield front
    finally:
        front.server.shutdown()
        front.server.server_close()


def run_behind(front: RateLimitedFront, folder: Path) -> None:
    run([folder], folder / "out", base_url=front.base_url, model="m", concurrency=CONCURRENCY)


@pytest.mark.parametrize(
    "headers",
    [
        {"llm_provider-retry-after": "1"},
        {"x-ratelimit-reset-requests": "1s", "x-ratelimit-remaining-requests": "0"},
    ],
)
def test_a_run_wide_limit_holds_every_request_until_it_resets(
    headers: dict[str, str], tmp_path: Path
) -> None:
    for index in range(12):
        make_marked_image(tmp_path / f"img_{index + 1}.jpg", index + 1, size=(300, 400))
    with ChatServer(latency=0.1) as server, front_of(server, headers) as front:
        run_behind(front, tmp_path)
        held = front.arrived_within(1.0)
        arrivals = len(front.arrivals)
    assert held == 0  # nothing sent while the gateway's limit said to wait
    assert arrivals == 13  # 12 pages and the one retry
    assert_every_page_once_ok(tmp_path / "out", 12)


def test_a_retry_after_alone_holds_only_its_own_request(tmp_path: Path) -> None:
    """The control: a plain Retry-After is this request's, and the others keep going."""
    for index in range(12):
        make_marked_image(tmp_path / f"img_{index + 1}.jpg", index + 1, size=(300, 400))
    with ChatServer(latency=0.1) as server, front_of(server, {"Retry-After": "1"}) as front:
        run_behind(front, tmp_path)
        held = front.arrived_within(1.0)
    assert held > 0
    assert_every_page_once_ok(tmp_path / "out", 12)
