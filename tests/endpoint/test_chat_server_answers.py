"""The fake chat server's normal answers, its records, latency and concurrency."""

from __future__ import annotations

import asyncio
import http.client
import io
import json
import time
from pathlib import Path
from typing import Any

import openai
from chat_requests import ask, data_url, marked_url, post, render_page_jpeg, user_messages
from chat_server import ChatServer, pixtral_tokens
from markers import encode_value, make_marked_image, make_marked_pdf
from PIL import Image


def test_normal_answer_reads_markers(server: ChatServer, tmp_path: Path) -> None:
    pdf = tmp_path / "doc.pdf"
    make_marked_pdf(pdf, doc_id=4, n_pages=2)
    pdf_page = data_url(render_page_jpeg(pdf, 2, 1.0))
    photo = tmp_path / "photo.jpg"
    make_marked_image(photo, doc_id=5, page=1)
    plain = io.BytesIO()
    Image.new("RGB", (64, 48), "gray").save(plain, format="PNG")
    urls = [pdf_page, data_url(photo.read_bytes()), data_url(plain.getvalue(), "image/png")]

    resp = ask(server, urls, max_tokens=500, temperature=0.0)

    assert json.loads(resp.choices[0].message.content) == {
        "pages": [
            {"image": 1, "text": "marker 4-2"},
            {"image": 2, "text": "marker 5-1"},
            {"image": 3, "text": "unmarked image 64x48"},
        ]
    }
    assert resp.choices[0].finish_reason == "stop"
    assert resp.model == "test-model"
    text_tokens = len("Transcribe each image.") // 4
    expected_prompt = (
        pixtral_tokens(612, 792) + pixtral_tokens(600, 800) + pixtral_tokens(64, 48) + text_tokens
    )
    assert resp.usage.prompt_tokens == expected_prompt
    (rec,) = server.requests
    assert rec.n_images == 3
    assert rec.image_sizes == [(612, 792), (600, 800), (64, 48)]
    assert rec.image_mimes == ["image/jpeg", "image/jpeg", "image/png"]
    assert rec.image_formats == ["JPEG", "JPEG", "PNG"]
    assert rec.image_bytes[1] == photo.stat().st_size
    assert rec.max_tokens == 500 and rec.temperature == 0.0
    assert rec.authorization == "Bearer k"
    assert rec.status == 200 and rec.fault is None
    assert rec.finished_at >= rec.started_at
    assert server.answered_values == [(encode_value(4, 2), encode_value(5, 1), None)]


def test_image_url_as_plain_string(server: ChatServer) -> None:
    parts = [{"type": "image_url", "image_url": marked_url(1, 2)}]
    resp = post(server, {"model": "m", "messages": [{"role": "user", "content": parts}]})
    content = json.loads(resp.json()["choices"][0]["message"]["content"])
    assert content == {"pages": [{"image": 1, "text": "marker 1-2"}]}


def test_schema_extra_fields_get_placeholders(server: ChatServer) -> None:
    item = {
        "type": "object",
        "properties": {
            "image": {"type": "integer"},
            "text": {"type": "string"},
            "confidence": {"type": "number"},
            "language": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "kind": {"$ref": "#/$defs/Kind"},
        },
    }
    schema = {
        "type": "object",
        "properties": {"pages": {"type": "array", "items": {"$ref": "#/$defs/Page"}}},
        "$defs": {"Page": item, "Kind": {"enum": ["receipt", "letter"]}},
    }
    rf = {"type": "json_schema", "json_schema": {"name": "pages", "schema": schema}}
    resp = ask(server, [marked_url(2, 3)], response_format=rf)
    (page,) = json.loads(resp.choices[0].message.content)["pages"]
    assert page == {
        "image": 1,
        "text": "marker 2-3",
        "confidence": 1,
        "language": None,
        "tags": [],
        "kind": "receipt",
    }
    assert server.requests[0].response_format == rf


def test_models_listing_and_keep_alive(server: ChatServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/v1/models")
    resp = conn.getresponse()
    assert resp.status == 200
    assert json.loads(resp.read())["data"][0]["id"] == "fake-vision"
    sock = conn.sock
    body = json.dumps({"model": "m", "messages": user_messages([marked_url(1, 1)])})
    conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "application/json"
    assert len(resp.read()) == int(resp.getheader("Content-Length") or -1)
    assert conn.sock is sock, "the server closed a keep-alive connection"
    conn.close()


# --- latency and concurrency ---------------------------------------------------------------


def test_latency_and_concurrency() -> None:
    async def burst(server: ChatServer) -> list[Any]:
        async with openai.AsyncOpenAI(
            base_url=server.base_url, api_key="k", max_retries=0
        ) as client:
            return await asyncio.gather(
                *(
                    client.chat.completions.create(
                        model="m", messages=user_messages([marked_url(7, page)])
                    )
                    for page in range(1, 9)
                )
            )

    with ChatServer(latency=0.3) as server:
        start = time.monotonic()
        answers = asyncio.run(burst(server))
        elapsed = time.monotonic() - start
        # All eight were answered at once (a count, not a time: a busy machine stretches time).
        assert server.max_in_flight == 8
        assert server.in_flight == 0
        assert server.request_count == 8
    assert elapsed >= 0.3  # the latency was served
    texts = sorted(json.loads(a.choices[0].message.content)["pages"][0]["text"] for a in answers)
    assert texts == sorted(f"marker 7-{p}" for p in range(1, 9))


def test_reset_stats(server: ChatServer) -> None:
    ask(server, [marked_url(1, 1)])
    assert server.request_count == 1 and server.max_in_flight == 1
    server.reset_stats()
    assert server.request_count == 0
    assert server.max_in_flight == 0
    assert server.requests == [] and server.answered_values == []
