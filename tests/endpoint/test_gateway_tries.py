"""Behind a real LiteLLM proxy that retries on its own (`num_retries: 2`): its retries counted
in `attempts`, and requests we abandon abandoned upstream (the `litellm` preset)."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from chat_server import ChatServer, hang
from harness import run
from litellm_proxy import MASTER_KEY, GatewayModel, LiteLLMProxy, litellm_binary
from markers import make_marked_image
from page_checks import assert_every_page_once_ok

from flows.options.config import Secrets

GATEWAY_RETRIES = 2
FAULTS = {"status:429": 0.2, "status:500": 0.1}


@pytest.fixture(scope="module")
def upstream() -> Iterator[ChatServer]:
    with ChatServer(latency=0.02) as server:
        yield server


@pytest.fixture(scope="module")
def gateway(upstream: ChatServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = litellm_binary()
    workdir = tmp_path_factory.mktemp("litellm-retrying")
    with LiteLLMProxy(
        binary, upstream.base_url, [GatewayModel("m")], workdir, num_retries=GATEWAY_RETRIES
    ) as proxy:
        yield proxy.base_url


def images(folder: Path, count: int) -> None:
    for index in range(count):
        make_marked_image(folder / f"img_{index + 1}.jpg", index + 1, size=(300, 400))


def test_every_try_the_gateway_made_is_counted(
    gateway: str, upstream: ChatServer, tmp_path: Path
) -> None:
    """One page per request, one request at a time: each upstream request is one of ours or
    one of the gateway's retries. A gateway's answer reports its retries; its failure after
    all of them reports none, so each of our own retries stands for 1 + 2 upstream tries."""
    upstream.reset_stats()
    upstream.seed, upstream.fault_rates = 7, FAULTS
    images(tmp_path, 12)
    try:
        _, session = run(
            [tmp_path],
            tmp_path / "out",
            base_url=gateway,
            model="m",
            concurrency=1,
            max_images=1,
            secrets=Secrets(api_key=MASTER_KEY),
        )
    finally:
        upstream.fault_rates = None
    df = assert_every_page_once_ok(tmp_path / "out", 12)
    stats = session.pool.stats
    own_retries = stats.retries - stats.gateway_retries
    faulted = [r for r in upstream.requests if r.status != 200]
    assert faulted and stats.gateway_retries > 0
    assert df["attempts"].max() > 1
    assert df["attempts"].sum() + GATEWAY_RETRIES * own_retries == len(upstream.requests)
    assert df["attempts"].sum() == stats.requests + stats.retries


def still_open(upstream: ChatServer, seconds: float) -> int:
    """Requests the upstream still holds after `seconds` (a hang ends when its client goes)."""
    deadline = time.monotonic() + seconds
    while upstream.in_flight and time.monotonic() < deadline:
        time.sleep(0.05)
    return upstream.in_flight


@pytest.mark.slow  # two attempts of 5 s each against a hanging upstream
@pytest.mark.parametrize(("provider", "left_open"), [("litellm", 0), (None, 1)])
def test_an_attempt_we_abandon_is_abandoned_upstream_with_the_preset(
    gateway: str, upstream: ChatServer, tmp_path: Path, provider: str | None, left_open: int
) -> None:
    """`--timeout 5`: the preset tells the gateway (`x-litellm-timeout: 5`), which drops its
    upstream request with ours; without it the gateway keeps it open (its default 6,000 s)."""
    upstream.reset_stats()
    images(tmp_path, 1)
    upstream.inject(hang(60))
    run(
        [tmp_path],
        tmp_path / "out",
        provider=provider,
        base_url=gateway,
        model="m",
        timeout=5,
        secrets=Secrets(api_key=MASTER_KEY),
    )
    assert_every_page_once_ok(tmp_path / "out", 1)
    assert still_open(upstream, 3.0) == left_open
