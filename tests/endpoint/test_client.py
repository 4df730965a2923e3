"""Endpoint client details that the end-to-end tests do not isolate."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from extractors.answer.catalog import resolve_schema
from extractors.endpoint.client import EndpointClient, retry_after_seconds
from extractors.endpoint.prompt import Prompt
from extractors.options import EndpointOptions


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
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (retry_after_seconds({"retry-after": when}) or 0) <= 30


def test_the_key_is_redacted_from_text() -> None:
    options = EndpointOptions(base_url="http://127.0.0.1:9/v1", model="m", api_key="sk-123-secret")
    client = EndpointClient(options, Prompt(resolve_schema("page_text")))
    assert client.redact("Incorrect API key provided: sk-123-secret.") == (
        "Incorrect API key provided: ***."
    )
    assert "sk-123-secret" not in repr(options)
