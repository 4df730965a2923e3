"""Tests for the fake chat-completions server and the page markers it reads."""

from __future__ import annotations

import asyncio
import base64
import http.client
import io
import json
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pymupdf
import pytest
from chat_server import ChatServer, Fault, hang, mangle, parse_fault, pixtral_tokens, reset, status
from markers import (
    encode_value,
    expected_text,
    make_marked_image,
    make_marked_pdf,
    marked_image,
    read_marker,
)
from PIL import Image

# --- helpers -------------------------------------------------------------------------------

# Shared pools: building an HTTP client costs ~40 ms (SSL context), more than most tests here.
_SDK_HTTP = openai.DefaultHttpxClient()
_RAW_HTTP = httpx.Client(timeout=5)


@pytest.fixture(autouse=True, scope="module")
def _close_http_clients() -> Iterator[None]:
    yield
    _SDK_HTTP.close()
    _RAW_HTTP.close()


def jpeg_bytes(img: Image.Image, quality: int = 75) -> bytes:
    """``img`` encoded as JPEG."""
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def data_url(blob: bytes, mime: str = "image/jpeg") -> str:
    """A base64 data URL."""
    return f"data:{mime};base64,{base64.b64encode(blob).decode()}"


def marked_url(doc_id: int, page: int, size: tuple[int, int] = (300, 400)) -> str:
    """Data URL of a marked JPEG."""
    return data_url(jpeg_bytes(marked_image(encode_value(doc_id, page), size)))


def user_messages(urls: list[str], text: str = "Transcribe each image.") -> list[dict[str, Any]]:
    """One user message with a text part and one image part per URL."""
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
    parts += [{"type": "image_url", "image_url": {"url": u}} for u in urls]
    return [{"role": "user", "content": parts}]


def client_for(server: ChatServer, **kwargs: Any) -> openai.OpenAI:
    """A sync OpenAI client without retries, on the shared pool (so never close it)."""
    kwargs.setdefault("api_key", "k")
    return openai.OpenAI(base_url=server.base_url, max_retries=0, http_client=_SDK_HTTP, **kwargs)


def ask(server: ChatServer, urls: list[str], **kwargs: Any) -> Any:
    """One chat completion through the SDK."""
    return client_for(server).chat.completions.create(
        model="test-model", messages=user_messages(urls), **kwargs
    )


def post(server: ChatServer, body: dict[str, Any], path: str | None = None) -> httpx.Response:
    """POST raw JSON, bypassing the SDK."""
    url = server.url + (path if path is not None else f"{server.prefix}/chat/completions")
    return _RAW_HTTP.post(url, json=body, headers={"Authorization": "Bearer k"})


def render_page_jpeg(pdf: Path, page_no: int, zoom: float) -> bytes:
    """Render a PDF page with pymupdf and encode it as JPEG q75."""
    with pymupdf.open(pdf) as doc:
        pix = doc[page_no - 1].get_pixmap(matrix=pymupdf.Matrix(zoom, zoom))
        return pix.tobytes("jpeg", jpg_quality=75)


@pytest.fixture
def server() -> Any:
    with ChatServer() as srv:
        yield srv


# --- markers -------------------------------------------------------------------------------


def test_encode_value_and_expected_text() -> None:
    assert encode_value(3, 7) == 3 * 256 + 7
    assert expected_text(encode_value(12, 255)) == "marker 12-255"
    with pytest.raises(ValueError):
        encode_value(0, 0)


@pytest.mark.parametrize("zoom", [0.5, 1.0, 1.2929, 2.0])
def test_read_marker_pdf_rendered_as_jpeg(tmp_path: Path, zoom: float) -> None:
    pdf = tmp_path / "doc.pdf"
    make_marked_pdf(pdf, doc_id=201, n_pages=3)
    for page in (1, 2, 3):
        img = Image.open(io.BytesIO(render_page_jpeg(pdf, page, zoom)))
        assert read_marker(img) == encode_value(201, page)


@pytest.mark.parametrize("size", [(791, 1024), (300, 400), (120, 160), (1000, 700)])
def test_read_marker_survives_resize_and_jpeg(size: tuple[int, int]) -> None:
    value = encode_value(255, 255)  # every data bit black
    img = marked_image(value, (612, 792)).resize(size, Image.Resampling.LANCZOS)
    assert read_marker(Image.open(io.BytesIO(jpeg_bytes(img)))) == value


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_make_marked_image_formats(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"page{suffix}"
    make_marked_image(path, doc_id=9, page=4)
    with Image.open(path) as img:
        assert img.mode == "RGB"
        assert read_marker(img) == encode_value(9, 4)
        img.thumbnail((250, 250))  # aspect-preserving downscale
        assert read_marker(img) == encode_value(9, 4)


def test_read_marker_rejects_ordinary_images() -> None:
    rng = random.Random(1)
    noise = Image.frombytes("RGB", (400, 500), bytes(rng.randrange(256) for _ in range(600_000)))
    gradient = Image.linear_gradient("L").resize((400, 500))  # black top, white bottom
    white = Image.new("RGB", (400, 500), "white")
    black = Image.new("RGB", (400, 500), "black")
    # A "document": black title bar at the top, white page with text-like lines below.
    doc = Image.new("RGB", (400, 500), "white")
    doc.paste((0, 0, 0), (0, 0, 400, 28))
    for y in range(60, 460, 14):
        doc.paste((0, 0, 0), (30, y, rng.randrange(120, 370), y + 4))
    for img in (noise, gradient, white, black, doc):
        assert read_marker(img) is None


# --- normal answers ------------------------------------------------------------------------


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
        assert server.max_in_flight == 8
        assert server.in_flight == 0
        assert server.request_count == 8
    assert 0.3 <= elapsed < 1.5
    texts = sorted(json.loads(a.choices[0].message.content)["pages"][0]["text"] for a in answers)
    assert texts == sorted(f"marker 7-{p}" for p in range(1, 9))


def test_reset_stats(server: ChatServer) -> None:
    ask(server, [marked_url(1, 1)])
    assert server.request_count == 1 and server.max_in_flight == 1
    server.reset_stats()
    assert server.request_count == 0
    assert server.max_in_flight == 0
    assert server.requests == [] and server.answered_values == []


# --- auth and HTTP faults ------------------------------------------------------------------


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
    server.inject(hang(5))
    start = time.monotonic()
    client = client_for(server, timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="m", messages=user_messages([marked_url(1, 1)]))
    assert time.monotonic() - start < 2
    # The handler notices the client went away instead of sleeping the full 5 s.
    deadline = time.monotonic() + 2
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
    thread.join(timeout=5)
    assert time.monotonic() - start < 2
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


# --- request limits ------------------------------------------------------------------------


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
        models = _RAW_HTTP.get(f"{server.base_url}/models")
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


# --- answer mangling -----------------------------------------------------------------------

ITEMS = [{"image": i, "text": f"marker 6-{i}"} for i in (1, 2, 3)]


def mangled(server: ChatServer, kind: str, n_images: int = 3) -> tuple[str, str]:
    """Content and finish_reason of one answer mangled by ``kind``."""
    server.inject(kind)
    resp = ask(server, [marked_url(6, p) for p in range(1, n_images + 1)])
    return resp.choices[0].message.content, resp.choices[0].finish_reason


@pytest.mark.parametrize(
    ("kind", "pages"),
    [
        ("shuffled", ITEMS[::-1]),
        ("missing", ITEMS[:2]),
        ("duplicated", [*ITEMS, ITEMS[0]]),
        ("extra", [*ITEMS, {"image": 4, "text": "phantom"}]),
        ("out_of_range", [*ITEMS[:2], {"image": 8, "text": "marker 6-3"}]),
    ],
)
def test_mangled_pages(server: ChatServer, kind: str, pages: list[dict[str, Any]]) -> None:
    content, finish = mangled(server, kind)
    assert json.loads(content) == {"pages": pages}
    assert finish == "stop"
    assert server.requests[0].fault == Fault(kind)
    assert server.answered_values == []  # mangled answers are not counted as answered


def test_mangled_conflicting_duplicate(server: ChatServer) -> None:
    pages = json.loads(mangled(server, "conflicting_duplicate")[0])["pages"]
    assert pages[:3] == ITEMS
    assert pages[3]["image"] == 1 and pages[3]["text"] != ITEMS[0]["text"]


def test_mangled_missing_single_image(server: ChatServer) -> None:
    assert json.loads(mangled(server, "missing", n_images=1)[0]) == {"pages": []}


def test_mangled_unparseable(server: ChatServer) -> None:
    content, _ = mangled(server, "invalid_json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)
    content, finish = mangled(server, "truncated")
    assert finish == "length"
    assert json.dumps({"pages": ITEMS}).startswith(content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)
    assert mangled(server, "empty")[0] == ""


def test_mangled_wrappers(server: ChatServer) -> None:
    content, _ = mangled(server, "fenced")
    assert content.startswith("```json\n") and content.endswith("\n```")
    assert json.loads(content.removeprefix("```json\n").removesuffix("\n```")) == {"pages": ITEMS}
    assert json.loads(mangled(server, "bare_list")[0]) == ITEMS
