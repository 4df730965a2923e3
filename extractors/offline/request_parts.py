"""What a chat-completions request asks the embedded engine: its schema, images and texts."""

import base64
from collections.abc import Iterator
from typing import Any

from extractors.endpoint.prompt import LAYER_TEXT_LABEL, PAGE_TEXT_LABEL


def requested_schema(body: dict[str, Any]) -> str:
    """Which schema a request asks for: by the name in its `response_format`."""
    spec = (body.get("response_format") or {}).get("json_schema") or {}
    return str(spec.get("name") or "page_text")


def layer_texts(body: dict[str, Any]) -> dict[int, str]:
    """Image number -> the text layer sent beside it ("Text layer of image k: ...")."""
    texts = {}
    for message in body.get("messages") or []:
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            text = part.get("text") if isinstance(part, dict) else None
            if isinstance(text, str) and text.startswith(LAYER_TEXT_LABEL):
                number, _, layer = text.removeprefix(LAYER_TEXT_LABEL).partition(":")
                if number.strip().isdigit():
                    texts[int(number)] = layer.strip()
    return texts


def text_pages(body: dict[str, Any]) -> list[str]:
    """The pages sent as their text alone ("Text of page p: ..."), in order."""
    pages = []
    for message in body.get("messages") or []:
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            text = part.get("text") if isinstance(part, dict) else None
            if isinstance(text, str) and text.startswith(PAGE_TEXT_LABEL):
                pages.append(text.removeprefix(PAGE_TEXT_LABEL).partition(":")[2].strip())
    return pages


def request_images(body: dict[str, Any]) -> Iterator[bytes]:
    """The request's images, decoded from their data URLs, in order."""
    for message in body.get("messages") or []:
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for part in content:
            if isinstance(part, dict) and part.get("type") == "image_url":
                url = (
                    part["image_url"]["url"]
                    if isinstance(part["image_url"], dict)
                    else part["image_url"]
                )
                _, _, payload = str(url).partition("base64,")
                yield base64.b64decode(payload)
