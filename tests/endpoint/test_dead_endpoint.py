"""A dead endpoint (nothing listening) is given up on by the clock, not by a count of tries."""

import asyncio
from pathlib import Path

from chat_server import ChatServer
from one_request import one_page_request

from extractors.answer.catalog import resolve_schema
from extractors.endpoint.client import NEVER_ANSWERED_SECONDS, EndpointClient
from extractors.endpoint.prompt import Prompt
from extractors.errors import FatalEndpointError, RetryLaterError
from extractors.options import EndpointOptions


def dead_url() -> str:
    server = ChatServer().start()
    url = server.base_url
    server.stop()  # the port now refuses connections
    return url


class ManualClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def test_the_budget_is_time_so_a_slow_machine_makes_fewer_attempts(tmp_path: Path) -> None:
    """Each attempt asks to wait what its backoff says, cut to the budget's end; the clock,
    moved by exactly those waits (plus 1 s per attempt, a loaded machine's), decides the end."""
    request = one_page_request(tmp_path)
    url = dead_url()

    async def scenario(per_attempt: float) -> tuple[int, list[float]]:
        clock = ManualClock()
        options = EndpointOptions(base_url=url, model="m", backoff_base=1.0)
        client = EndpointClient(options, Prompt(resolve_schema("page_text")), clock=clock)
        waits: list[float] = []
        try:
            for attempt in range(1, 50):
                try:
                    await client.attempt(request, attempt, 0.0, client.encoded_body(request))
                except RetryLaterError as later:
                    waits.append(later.wait)
                    clock.now += later.wait + per_attempt
                except FatalEndpointError as fatal:
                    assert f"cannot connect to {url}" in str(fatal)
                    return attempt, waits
        finally:
            await client.close()
        raise AssertionError("never gave up")

    quick_attempts, quick_waits = asyncio.run(scenario(per_attempt=0.0))
    slow_attempts, slow_waits = asyncio.run(scenario(per_attempt=1.0))
    # Backoff 0.5-1, 1-2, 2-4 s...: by the clock alone, four or five attempts fit in 6 s; a
    # machine spending 1 s on each makes fewer, and both stop when the budget is spent.
    assert 4 <= quick_attempts <= 6
    assert 2 <= slow_attempts <= quick_attempts
    assert sum(quick_waits) <= NEVER_ANSWERED_SECONDS + 1e-9
    assert sum(slow_waits) + (slow_attempts - 1) <= NEVER_ANSWERED_SECONDS + 1.0 + 1e-9
    # The last wait is cut to end at the budget: the last attempt is made at 6 s, not later.
    assert abs(sum(quick_waits) - NEVER_ANSWERED_SECONDS) < 1e-6
