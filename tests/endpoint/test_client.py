"""Endpoint client details that the end-to-end tests do not isolate."""

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from chat_server import ChatServer
from one_request import one_page_request

from extractors.answer.catalog import resolve_schema
from extractors.endpoint.client import EndpointClient
from extractors.endpoint.prompt import Prompt
from extractors.endpoint.retry_after import retry_after_seconds
from extractors.errors import FatalEndpointError, RetryLaterError
from extractors.options import EndpointOptions
from extractors.records import PreparedRequest


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after": "7"}, 7.0),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),  # the finer header wins
        ({"retry-after-ms": "soon", "retry-after": "2"}, 2.0),
        ({}, None),
    ],
)
def test_retry_after_headers(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(headers) == expected


def test_retry_after_as_an_http_date() -> None:
    # An hour ahead: the seconds between these two lines, however long, cannot blur it.
    when = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    assert 3_000 <= (retry_after_seconds({"retry-after": when}) or 0) <= 3_600


def test_the_key_is_redacted_from_text() -> None:
    options = EndpointOptions(base_url="http://127.0.0.1:9/v1", model="m", api_key="sk-123-secret")
    client = EndpointClient(options, Prompt(resolve_schema("page_text")))
    assert client.redact("Incorrect API key provided: sk-123-secret.") == (
        "Incorrect API key provided: ***."
    )
    assert "sk-123-secret" not in repr(options)


class StepClock:
    """A clock the test moves: `step` seconds pass between two attempts."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 1_000.0, step

    def __call__(self) -> float:
        return self.now


async def _attempts(
    client: EndpointClient, request: PreparedRequest, count: int, clock: StepClock | None = None
) -> list[str]:
    """What each of `count` attempts ended in: ok, retry, or fatal (which ends the loop)."""
    outcomes = []
    for attempt in range(1, count + 1):
        if clock is not None and attempt > 1:
            clock.now += clock.step
        try:
            await client.attempt(request, attempt, 0.0, client.encoded_body(request))
            outcomes.append("ok")
        except RetryLaterError:
            outcomes.append("retry")
        except FatalEndpointError:
            outcomes.append("fatal")
            break
    return outcomes


def test_refused_connections_stop_the_run_only_if_the_endpoint_never_answered(
    tmp_path: Path,
) -> None:
    request = one_page_request(tmp_path)
    prompt = Prompt(resolve_schema("page_text"))

    async def scenario() -> tuple[list[str], list[str]]:
        with ChatServer() as server:
            url = server.base_url
            answered = EndpointClient(EndpointOptions(base_url=url, model="m"), prompt)
            before = await _attempts(answered, request, 1)
        # Nothing listens at `url` any more: a wrong URL for a client that never had an
        # answer from it, an outage for one that had.
        # Attempts 2.5 s apart by the clock: the budget (6 s) is over at the fourth.
        clock = StepClock(2.5)
        never = EndpointClient(EndpointOptions(base_url=url, model="m"), prompt, clock=clock)
        try:
            return before + await _attempts(answered, request, 6), await _attempts(
                never, request, 6, clock
            )
        finally:
            await answered.close()
            await never.close()

    after_an_answer, never_answered = asyncio.run(scenario())
    assert after_an_answer == ["ok", *["retry"] * 6]
    assert never_answered == ["retry", "retry", "retry", "fatal"]
