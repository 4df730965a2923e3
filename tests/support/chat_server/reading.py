"""Reading a chat request: its JSON body and its images (markers read) into a RecordedRequest."""

from __future__ import annotations

import base64
import binascii
import io
import json
from dataclasses import dataclass, field
from typing import Any

from markers import read_marker
from PIL import Image

from .faults import Fault


@dataclass
class RecordedRequest:
    """What the server saw and did for one chat-completions request."""

    path: str
    model: str | None = None
    n_images: int = 0
    image_sizes: list[tuple[int, int]] = field(default_factory=list)
    image_mimes: list[str] = field(default_factory=list)
    # Pillow's idea of the format ("JPEG", "PNG"...), to check the data URL doesn't lie.
    image_formats: list[str | None] = field(default_factory=list)
    image_bytes: list[int] = field(default_factory=list)
    marker_values: list[int | None] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    response_format: dict[str, Any] | None = None
    max_tokens: int | None = None
    # Which key carried the answer limit: "max_tokens" or "max_completion_tokens".
    max_tokens_field: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    # Roles of the messages in order: a re-ask shows as user, assistant, user.
    roles: list[str] = field(default_factory=list)
    authorization: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    fault: Fault | None = None
    # HTTP status answered; None when no answer was attempted (reset, client gone while the
    # server slept, server stopping).
    status: int | None = None
    started_at: float = 0.0
    finished_at: float = 0.0
    # prompt + completion tokens reported in ``usage`` (0 when the request got no answer).
    total_tokens: int = 0


class BadRequest(Exception):
    """Raised while parsing a request to answer 400 with ``message``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class SentImage:
    """One image of a request, as the server decoded it."""

    mime: str
    width: int
    height: int
    n_bytes: int
    fmt: str | None
    value: int | None


def parse_request(
    raw: bytes, record: RecordedRequest, read_markers: bool
) -> tuple[dict[str, Any], list[SentImage], int]:
    """Decode the body and its images; fills ``record``."""
    try:
        payload = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"Invalid JSON body: {exc}") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("messages"), list):
        raise BadRequest("'messages' is a required property")
    record.model = payload.get("model")
    rf = payload.get("response_format")
    record.response_format = rf if isinstance(rf, dict) else None
    mt = payload.get("max_completion_tokens", payload.get("max_tokens"))
    record.max_tokens = mt if isinstance(mt, int) else None
    record.max_tokens_field = next(
        (k for k in ("max_completion_tokens", "max_tokens") if k in payload), None
    )
    record.temperature = payload.get("temperature")
    record.top_p = payload.get("top_p")
    record.seed = payload.get("seed")
    record.roles = [str(m.get("role")) for m in payload["messages"] if isinstance(m, dict)]

    images: list[SentImage] = []
    text_len = 0
    for message in payload["messages"]:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            record.texts.append(content)
            text_len += len(content)
            continue
        if not isinstance(content, list):
            continue
        for part in content:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "text":
                text = str(part.get("text", ""))
                record.texts.append(text)
                text_len += len(text)
            elif part.get("type") == "image_url":
                spec = part.get("image_url")
                url = spec.get("url") if isinstance(spec, dict) else spec
                images.append(load_image(url, len(images) + 1, read_markers))
    record.n_images = len(images)
    record.image_sizes = [(im.width, im.height) for im in images]
    record.image_mimes = [im.mime for im in images]
    record.image_formats = [im.fmt for im in images]
    record.image_bytes = [im.n_bytes for im in images]
    record.marker_values = [im.value for im in images]
    return payload, images, text_len


def load_image(url: Any, index: int, read_markers: bool = True) -> SentImage:
    """Image ``index`` of a request from its data URL, sized; its marker read unless told not."""
    if not isinstance(url, str) or not url.startswith("data:") or "," not in url:
        raise BadRequest(f"Image {index}: only base64 data URLs are supported")
    header, data = url[5:].split(",", 1)
    mime = header.split(";", 1)[0]
    try:
        blob = base64.b64decode(data, validate=True)
        with Image.open(io.BytesIO(blob)) as img:
            if not read_markers:
                return SentImage(mime, img.width, img.height, len(blob), img.format, None)
            img.load()
            value = read_marker(img)
            return SentImage(mime, img.width, img.height, len(blob), img.format, value)
    except (binascii.Error, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise BadRequest(f"Failed to load image {index}: {exc}") from exc
