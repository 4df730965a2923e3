"""The fake chat server's faults: a wrong key, status codes, resets, hangs, drawn fault rates."""

from __future__ import annotations

import threading
import time

import openai
import pytest
from chat_requests import ask, client_for, marked_url, post, user_messages
from chat_server import ChatServer, Fault, hang, mangle, parse_fault, reset, status


def test_wrong_api_key_gets_401() -> None:
    with ChatServer(api_key="secret") as server:
        with pytest.raises(openai.AuthenticationError) as info:
            ask(server, [marked_url(1, 1)])
        assert info.value.status_code == 401
        assert info.value.code == "invalid_api_key"
        resp = client_for(server, api_key="secret").chat.completions.create(
            model="m", messages=user_messages([marked_url(1, 1)])
        )
        assert "marker 1-1" in resp.choices[0].message.content
        assert [r.status for r in server.requests] == [401, 200]


def test_429_carries_retry_headers_and_is_one_shot(server: ChatServer) -> None:
    server.inject(status(429, retry_after=2, retry_after_ms=1500))
    with pytest.raises(openai.RateLimitError) as info:
        ask(server, [marked_url(1, 1)])
    headers = info.value.response.headers
    assert headers["retry-after"] == "2"
    assert headers["retry-after-ms"] == "1500"
    assert server.pending_faults == 0
    assert ask(server, [marked_url(1, 1)]).choices[0].finish_reason == "stop"
    assert [r.status for r in server.requests] == [429, 200]
    assert server.requests[0].fault == status(429, retry_after=2, retry_after_ms=1500)


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_server_errors(server: ChatServer, code: int) -> None:
    server.inject(f"status:{code}")
    with pytest.raises(openai.APIStatusError) as info:
        ask(server, [marked_url(1, 1)])
    assert info.value.status_code == code
    assert "retry-after" not in info.value.response.headers


def test_reset_gives_connection_error(server: ChatServer) -> None:
    server.inject(reset())
    with pytest.raises(openai.APIConnectionError) as info:
        ask(server, [marked_url(1, 1)])
    assert not isinstance(info.value, openai.APITimeoutError)
    assert server.request_count == 1
    assert server.requests[0].status is None


def test_hang_beyond_client_timeout_times_out(server: ChatServer) -> None:
    server.inject(hang(30))
    client = client_for(server, timeout=0.3)
    # A timeout, not an answer: the client gave up before the 30 s hang would end.
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="m", messages=user_messages([marked_url(1, 1)]))
    # The handler notices the client went away instead of sleeping the full 30 s.
    deadline = time.monotonic() + 20
    while server.in_flight and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.in_flight == 0
    assert server.requests[0].status is None


def test_hang_then_answers(server: ChatServer) -> None:
    server.inject(hang(0.2))
    start = time.monotonic()
    resp = ask(server, [marked_url(1, 3)])
    assert time.monotonic() - start >= 0.2
    assert "marker 1-3" in resp.choices[0].message.content


def test_exit_does_not_wait_for_hanging_handlers() -> None:
    server = ChatServer().start()
    server.inject(hang(30))
    errors: list[BaseException] = []

    def call() -> None:
        try:
            ask(server, [marked_url(1, 1)])
        except openai.APIError as exc:
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    while server.in_flight == 0:
        time.sleep(0.01)
    start = time.monotonic()
    server.stop()
    thread.join(timeout=25)
    assert time.monotonic() - start < 30  # stop did not wait for the 30 s hang
    assert not thread.is_alive()
    assert len(errors) == 1


def test_fault_rates_are_deterministic_per_seed() -> None:
    def run(seed: int) -> list[str | None]:
        rates = {"status:503": 0.3, "empty": 0.3}
        with ChatServer(fault_rates=rates, seed=seed) as server:
            for _ in range(12):
                post(server, {"model": "m", "messages": user_messages([])})
            return [r.fault.kind if r.fault else None for r in server.requests]

    first = run(3)
    assert first == run(3)
    assert {"status", "empty", None} <= set(first)
    assert first != run(4)


def test_parse_fault() -> None:
    assert parse_fault("hang:1.5") == hang(1.5)
    assert parse_fault("truncated") == mangle("truncated") == Fault("truncated")
    with pytest.raises(ValueError):
        parse_fault("explode")
