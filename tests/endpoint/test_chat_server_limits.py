"""The fake chat server's limits: images per request, context length, formats and prefixes."""

from __future__ import annotations

import json

import openai
import pytest
from chat_requests import RAW_HTTP, ask, marked_url, post, user_messages
from chat_server import ChatServer, pixtral_tokens


def test_max_images_400_and_413() -> None:
    urls = [marked_url(1, p) for p in range(1, 4)]
    with ChatServer(max_images=2) as server:
        with pytest.raises(openai.BadRequestError) as info:
            ask(server, urls)
        assert "At most 2 image(s) may be provided in one prompt." in info.value.message
        assert ask(server, urls[:2]).choices[0].finish_reason == "stop"
        server.too_many_images_status = 413
        with pytest.raises(openai.APIStatusError) as info413:
            ask(server, urls)
        assert info413.value.status_code == 413
        assert "too many images" in info413.value.message


def test_context_length_limit() -> None:
    image_tokens = pixtral_tokens(300, 400)  # 25 rows * 20 cols = 500
    text_tokens = len("Transcribe each image.") // 4
    limit = 2 * image_tokens + text_tokens + 100
    with ChatServer(context_tokens=limit) as server:
        urls = [marked_url(1, 1), marked_url(1, 2)]
        assert ask(server, urls, max_tokens=100).choices[0].finish_reason == "stop"
        with pytest.raises(openai.BadRequestError) as info:
            ask(server, urls, max_completion_tokens=101)
        requested = 2 * image_tokens + text_tokens + 101
        assert (
            f"This model's maximum context length is {limit} tokens. "
            f"However, you requested {requested} tokens" in info.value.message
        )


def test_response_format_unsupported() -> None:
    with ChatServer(supports_response_format=False) as server:
        with pytest.raises(openai.BadRequestError) as info:
            ask(server, [marked_url(1, 1)], response_format={"type": "json_object"})
        assert "response_format is not supported" in info.value.message
        assert ask(server, [marked_url(1, 1)]).choices[0].finish_reason == "stop"


@pytest.mark.parametrize("prefix", ["", "/v1/inference"])
def test_prefixes(prefix: str) -> None:
    with ChatServer(prefix=prefix) as server:
        assert server.base_url == server.url + prefix
        resp = ask(server, [marked_url(8, 9)])
        assert "marker 8-9" in resp.choices[0].message.content
        wrong = post(server, {"model": "m", "messages": []}, path="/v2/chat/completions")
        assert wrong.status_code == 404
        assert "error" in wrong.json()
        models = RAW_HTTP.get(f"{server.base_url}/models")
        assert models.json()["data"][0]["id"] == "fake-vision"
        assert server.request_count == 1


def test_legacy_text_shape() -> None:
    with ChatServer(prefix="", legacy_text=True) as server:
        resp = post(server, {"model": "m", "messages": user_messages([marked_url(3, 1)])})
    choice = resp.json()["choices"][0]
    assert "message" not in choice
    assert json.loads(choice["text"]) == {"pages": [{"image": 1, "text": "marker 3-1"}]}


def test_bad_image_is_400(server: ChatServer) -> None:
    resp = post(server, {"model": "m", "messages": user_messages(["data:image/jpeg;base64,AAAA"])})
    assert resp.status_code == 400
    assert "Failed to load image 1" in resp.json()["error"]["message"]
