"""Behind a real LiteLLM proxy (skipped when its venv is absent: `.ci/litellm-venv`)."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from chat_server import ChatServer, status
from harness import run
from litellm_proxy import MASTER_KEY, GatewayModel, LiteLLMProxy, litellm_binary
from markers import make_marked_image, make_marked_pdf
from page_checks import assert_every_page_once_ok

from extractors.document.session import ExtractionSession
from flows.options.config import Secrets

# The gateway's own limit on "m-rpm", per calendar minute as LiteLLM counts it. Its
# usage-based routing counts an answered request twice (as it is routed, and as it succeeds):
# measured with 1.108, `rpm: 2` lets one request through a minute.
GATEWAY_RPM = 2


@pytest.fixture(scope="module")
def upstream() -> Iterator[ChatServer]:
    with ChatServer(latency=0.05) as server:
        yield server


@pytest.fixture(scope="module")
def gateway(upstream: ChatServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The proxy's base URL: "m" as is, "m-rpm" under the gateway's own rpm; the gateway
    retries nothing itself, so that every try is ours to count."""
    binary = litellm_binary()
    models = [GatewayModel("m"), GatewayModel("m-rpm", rpm=GATEWAY_RPM)]
    workdir = tmp_path_factory.mktemp("litellm")
    with LiteLLMProxy(binary, upstream.base_url, models, workdir, num_retries=0) as proxy:
        yield proxy.base_url


def run_through(gateway: str, inputs: Path, **request: Any) -> ExtractionSession:
    _, session = run(
        [inputs],
        inputs / "out",
        base_url=gateway,
        secrets=Secrets(api_key=MASTER_KEY),
        **{"model": "m", **request},
    )
    return session


def small_images(folder: Path, count: int) -> None:
    for index in range(count):
        make_marked_image(folder / f"img_{index + 1}.jpg", index + 1, size=(300, 400))


def test_pages_come_back_right_through_the_gateway(
    gateway: str, upstream: ChatServer, tmp_path: Path
) -> None:
    upstream.reset_stats()
    make_marked_pdf(tmp_path / "doc_3.pdf", 3, 6)
    small_images(tmp_path, 2)
    session = run_through(gateway, tmp_path, concurrency=4, max_images=4)
    assert sorted(r.n_images for r in upstream.requests) == [1, 1, 2, 4]  # multi-image bodies
    assert all(r.status == 200 for r in upstream.requests)
    assert session.pool.stats.retries == 0
    assert_every_page_once_ok(tmp_path / "out", 8)


def test_an_upstream_retry_after_is_honoured_through_the_gateway(
    gateway: str, upstream: ChatServer, tmp_path: Path
) -> None:
    """LiteLLM passes the upstream's Retry-After on as `llm_provider-retry-after`: read, and
    held for the run, since a gateway's 429 speaks of a limit every request counts against."""
    upstream.reset_stats()
    small_images(tmp_path, 4)
    upstream.inject(status(429, retry_after=1))
    session = run_through(gateway, tmp_path, concurrency=1)
    assert [r.status for r in upstream.requests] == [429, 200, 200, 200, 200]
    stats = session.pool.stats
    assert (stats.throttled, stats.retries, session.pool.gate.hold.holds) == (1, 1, 1)
    assert_every_page_once_ok(tmp_path / "out", 4)


@pytest.mark.slow  # LiteLLM counts per calendar minute: the run waits for the next one
def test_the_gateways_own_rate_limit_is_honoured(
    gateway: str, upstream: ChatServer, tmp_path: Path
) -> None:
    """Over the gateway's rpm, its 429 (`llm_provider-retry-after: 60`) holds the run until
    its minute is over: one 429, and the retry goes through. Without the wait read, the
    tests' millisecond backoff would spend every attempt within the minute."""
    upstream.reset_stats()
    small_images(tmp_path, 2)
    while datetime.now(UTC).second >= 55:  # both first requests in the same minute
        time.sleep(0.2)
    session = run_through(gateway, tmp_path, model="m-rpm", concurrency=2)
    assert [r.status for r in upstream.requests] == [200, 200]  # the 429 was the gateway's
    stats = session.pool.stats
    assert (stats.throttled, stats.retries, session.pool.gate.hold.holds) == (1, 1, 1)
    assert_every_page_once_ok(tmp_path / "out", 2)
