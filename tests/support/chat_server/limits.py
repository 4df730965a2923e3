"""Limits a ChatServer enforces: image tokens, strict schemas, images per request, context."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .reading import SentImage


def pixtral_tokens(width: int, height: int) -> int:
    """Pixtral's image token count: rows * (cols + 1) with 16-pixel patches."""
    cols = math.ceil(width / 16)
    rows = math.ceil(height / 16)
    return rows * (cols + 1)


def strictness_problem(response_format: Any, where: str = "()") -> str | None:
    """Why a response_format is not strict, as OpenAI words it; None when it is."""
    spec = response_format.get("json_schema") if isinstance(response_format, Mapping) else None
    if not isinstance(spec, Mapping) or spec.get("strict") is not True:
        return "'strict' must be true"
    return _open_object(spec.get("schema"), where)


def _open_object(schema: Any, where: str) -> str | None:
    if isinstance(schema, list):
        return next((p for p in (_open_object(s, where) for s in schema) if p), None)
    if not isinstance(schema, Mapping):
        return None
    props = schema.get("properties")
    if isinstance(props, Mapping):
        if schema.get("additionalProperties") is not False:
            return f"In context={where}, 'additionalProperties' is required to be false"
        missing = [name for name in props if name not in (schema.get("required") or [])]
        if missing:
            return (
                f"In context={where}, 'required' is required to include every key in "
                f"properties. Missing '{missing[0]}'"
            )
    for key, value in schema.items():
        nested = value.values() if key in ("properties", "$defs") else [value]
        for sub in nested:
            if isinstance(sub, (Mapping, list)):
                problem = _open_object(sub, f"{where}/{key}")
                if problem:
                    return problem
    return None


def rejection(
    cfg: Mapping[str, Any], payload: Mapping[str, Any], images: list[SentImage], text_len: int
) -> tuple[int, str] | None:
    """(status, message) when the server's limits reject the request."""
    if not cfg["supports_response_format"] and payload.get("response_format") is not None:
        return 400, "response_format is not supported"
    if cfg["strict_schemas"] and payload.get("response_format") is not None:
        problem = strictness_problem(payload["response_format"])
        if problem is not None:
            return 400, f"Invalid schema for response_format: {problem}"
    max_images = cfg["max_images"]
    if max_images is not None and len(images) > max_images:
        code = cfg["too_many_images_status"]
        if code == 400:
            return 400, f"At most {max_images} image(s) may be provided in one prompt."
        return code, "Request Entity Too Large: too many images"
    limit = cfg["context_tokens"]
    if limit is not None:
        prompt = sum(pixtral_tokens(im.width, im.height) for im in images) + text_len // 4
        mt = payload.get("max_completion_tokens", payload.get("max_tokens"))
        completion = mt if isinstance(mt, int) else 0
        total = prompt + completion
        if total > limit:
            return 400, (
                f"This model's maximum context length is {limit} tokens. However, you "
                f"requested {total} tokens ({prompt} in the messages, {completion} in the "
                "completion). Please reduce the length of the messages or completion."
            )
    return None
