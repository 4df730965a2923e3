"""Requests to a ChatServer through the openai SDK or raw HTTP, for its own tests."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import httpx
import openai
import pymupdf
from chat_server import ChatServer
from markers import encode_value, marked_image
from PIL import Image

# Shared pools: building an HTTP client costs ~40 ms (SSL context), more than most tests take.
_SDK_HTTP = openai.DefaultHttpxClient()
RAW_HTTP = httpx.Client(timeout=5)


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
    return RAW_HTTP.post(url, json=body, headers={"Authorization": "Bearer k"})


def render_page_jpeg(pdf: Path, page_no: int, zoom: float) -> bytes:
    """Render a PDF page with pymupdf and encode it as JPEG q75."""
    with pymupdf.open(pdf) as doc:
        pix = doc[page_no - 1].get_pixmap(matrix=pymupdf.Matrix(zoom, zoom))
        return pix.tobytes("jpeg", jpg_quality=75)


def close_pools() -> None:
    """Close the shared HTTP pools (once, when no test will use them again)."""
    _SDK_HTTP.close()
    RAW_HTTP.close()
