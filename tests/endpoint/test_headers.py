"""Extra headers (`--header`, VISIONBATCH_HEADERS, presets): sent on every request, and those
named like credentials never logged, stored or made parameters."""

import logging
from pathlib import Path

import pytest
from chat_server import ChatServer, status
from harness import run
from key_forms import forms_found
from markers import make_marked_image
from page_checks import read_pages

from extractors.endpoint.headers import is_secret, merged, parse_header
from flows.options.config import Secrets
from flows.options.parameters import RunRequest
from flows.options.settings import HEADERS_VARIABLE, EnvironmentSettings, export_headers

PORTKEY_KEY = "pk-vb-7c1e5a9b3d2f4e6a8b0c"


def images(folder: Path, count: int) -> None:
    for index in range(count):
        make_marked_image(folder / f"img_{index + 1}.jpg", index + 1, size=(300, 400))


def test_headers_reach_the_endpoint_on_every_request(tmp_path: Path) -> None:
    images(tmp_path, 3)
    given = ("X-Title=visionbatch tests", "HTTP-Referer: https://example.org/app")
    with ChatServer() as server:
        run(
            [tmp_path],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            max_images=1,
            secrets=Secrets(headers=given),
        )
    assert len(server.requests) == 3
    for request in server.requests:
        assert request.headers["x-title"] == "visionbatch tests"
        assert request.headers["http-referer"] == "https://example.org/app"


def test_a_credential_header_is_sent_but_never_logged_or_stored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The endpoint echoes the header's value in its refusals (an error row) and in a retried
    5xx (a log line): both show `***`, as for the API key."""
    images(tmp_path, 2)
    caplog.set_level(logging.DEBUG)
    with ChatServer() as server:
        server.inject(
            status(500, message=f"upstream failed for {PORTKEY_KEY}"),
            status(400, message=f"invalid virtual key {PORTKEY_KEY}"),
        )
        run(
            [tmp_path],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            max_images=1,
            concurrency=1,
            secrets=Secrets(headers=(f"x-portkey-api-key={PORTKEY_KEY}",)),
        )
    assert {r.headers["x-portkey-api-key"] for r in server.requests} == {PORTKEY_KEY}
    errors = read_pages(tmp_path / "out")["error"].drop_nulls().to_list()
    assert len(errors) == 1 and errors[0].endswith("invalid virtual key ***")
    stored = b"".join(p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert forms_found(PORTKEY_KEY, stored) == []
    assert caplog.text and forms_found(PORTKEY_KEY, caplog.text) == []


def test_the_litellm_preset_sends_the_timeout_upstream_and_owns_the_retries(
    tmp_path: Path,
) -> None:
    images(tmp_path, 2)
    with ChatServer() as server:
        run(
            [tmp_path],
            tmp_path / "out",
            provider="litellm",
            base_url=server.base_url,
            model="m",
            timeout=7.5,
            secrets=Secrets(headers=("x-litellm-num-retries=1",)),
        )
    headers = server.requests[0].headers
    assert headers["x-litellm-timeout"] == "7.5"
    assert headers["x-litellm-num-retries"] == "1"  # a --header replaces the preset's


@pytest.mark.parametrize(
    ("item", "pair"),
    [
        ("X-Title=a=b", ("X-Title", "a=b")),
        ("Ocp-Apim-Subscription-Key: k1", ("Ocp-Apim-Subscription-Key", "k1")),
    ],
)
def test_header_forms(item: str, pair: tuple[str, str]) -> None:
    assert parse_header(item) == pair


@pytest.mark.parametrize("item", ["no-separator", "=value", "Bad Name=v", "Content-Type=x"])
def test_malformed_headers_are_refused(item: str) -> None:
    with pytest.raises(ValueError):
        parse_header(item)


def test_names_that_say_a_credential() -> None:
    secret = [
        "Authorization",
        "api-key",
        "X-API-Key",
        "x-portkey-api-key",
        "X-Auth-Token",
        "Ocp-Apim-Subscription-Key",
        "x-client-secret",
    ]
    plain = ["X-Title", "HTTP-Referer", "x-litellm-timeout", "x-portkey-provider"]
    assert [is_secret(n) for n in secret + plain] == [True] * len(secret) + [False] * len(plain)
    assert merged((("X-A", "1"), ("x-b", "2")), (("x-a", "3"),)) == (("x-a", "3"), ("x-b", "2"))


def test_headers_come_from_the_environment_and_flags_win(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Flags reach the run through the environment, after its own: never as parameters."""
    monkeypatch.setenv(HEADERS_VARIABLE, '{"X-Title": "from env", "x-portkey-provider": "openai"}')
    export_headers(["X-Title=from flag"])
    items = EnvironmentSettings().secrets().headers
    assert merged(tuple(parse_header(i) for i in items)) == (
        ("X-Title", "from flag"),
        ("x-portkey-provider", "openai"),
    )
    assert not any("header" in name for name in RunRequest.model_fields)
    assert "from" not in repr(EnvironmentSettings()) and "from" not in repr(Secrets(headers=items))
