"""What a ChatServer answers: page items, document objects, their manglings, the completion."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from markers import expected_text

from .limits import pixtral_tokens
from .reading import RecordedRequest, SentImage

Items = list[dict[str, Any]]


def _placeholder(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int = 0) -> Any:
    """A small value matching a JSON-schema property (null when nullable)."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and depth < 8:
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        return _placeholder(target, root, depth + 1)
    options = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(options, list) and options:
        if any(isinstance(o, Mapping) and o.get("type") == "null" for o in options):
            return None
        return _placeholder(options[0], root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    type_ = schema.get("type")
    if isinstance(type_, list):
        if "null" in type_:
            return None
        type_ = type_[0] if type_ else None
    return {
        "string": "x",
        "number": 1,
        "integer": 1,
        "boolean": True,
        "array": [],
        "object": {},
        "null": None,
    }.get(str(type_), "x")


def extra_fields(response_format: Any) -> dict[str, Any]:
    """Placeholder values for item fields of the json_schema other than image and text."""
    if not isinstance(response_format, Mapping):
        return {}
    try:
        root = response_format["json_schema"]["schema"]
        items = root["properties"]["pages"]["items"]
        if "$ref" in items:
            ref_name = items["$ref"].rsplit("/", 1)[-1]
            items = (root.get("$defs") or root.get("definitions") or {})[ref_name]
        props = items["properties"]
    except (KeyError, TypeError, AttributeError):
        return {}
    return {
        name: _placeholder(prop, root)
        for name, prop in props.items()
        if name not in {"image", "text"} and isinstance(prop, Mapping)
    }


def is_document_request(
    payload: Mapping[str, Any], record: RecordedRequest, answers_documents: bool
) -> bool:
    """A request for one object per document, not the ``pages`` envelope of page requests.

    Without ``response_format`` (a schema in the prompt), only a server given a
    ``document_answer`` takes a request that never mentions ``"pages"`` for a document one.
    """
    spec = payload.get("response_format")
    if isinstance(spec, Mapping):
        schema = (spec.get("json_schema") or {}).get("schema") or {}
        return "pages" not in (schema.get("properties") or {})
    return answers_documents and not any('"pages"' in text for text in record.texts)


def document_placeholder(response_format: Any) -> dict[str, Any]:
    try:
        root = response_format["json_schema"]["schema"]
        props = root["properties"]
    except (KeyError, TypeError):
        return {}
    return {name: _placeholder(prop, root) for name, prop in props.items()}


def page_items(images: list[SentImage], extras: dict[str, Any]) -> Items:
    """One item per image, in request order: its marker's text, or what the image is."""
    items: Items = []
    for i, img in enumerate(images, start=1):
        text = (
            expected_text(img.value)
            if img.value is not None
            else f"unmarked image {img.width}x{img.height}"
        )
        items.append({"image": i, "text": text, **extras})
    return items


def _truncated(items: Items) -> tuple[str, str]:
    full = json.dumps({"pages": items})
    return full[: int(len(full) * 0.6)], "length"


_BROKEN_CONTENT: dict[str, Callable[[Items], tuple[str, str]]] = {
    "invalid_json": lambda items: ('{"pages": [{"image": 1, "text": "x"', "stop"),
    "empty": lambda items: ("", "stop"),
    "truncated": _truncated,
    "fenced": lambda items: ("```json\n" + json.dumps({"pages": items}) + "\n```", "stop"),
    "bare_list": lambda items: (json.dumps(items), "stop"),
}


def _out_of_range(items: Items, extras: dict[str, Any]) -> Items:
    if items:
        items[-1]["image"] = len(items) + 5
    return items


_BROKEN_ITEMS: dict[str, Callable[[Items, dict[str, Any]], Items]] = {
    "shuffled": lambda items, extras: items[::-1],
    "missing": lambda items, extras: items[:-1],
    "duplicated": lambda items, extras: [*items, dict(items[0])] if items else items,
    "conflicting_duplicate": lambda items, extras: (
        [*items, {**items[0], "text": f"conflicting {items[0]['text']}"}] if items else items
    ),
    "extra": lambda items, extras: [
        *items,
        {"image": len(items) + 1, "text": "phantom", **extras},
    ],
    "out_of_range": _out_of_range,
}


REFUSAL = "I'm sorry, I can't help with that."
LOOP_PHRASE = " | Total | 0.00 |"
LOOP_ROW = "| Total | 0.00 | 0.00 |"
OTHER_SCRIPT = "Это текст страницы на другом языке, а не то, что на ней написано."
_DEGENERATE_TEXT: dict[str, Callable[[str], str]] = {
    "loop": lambda text: text + LOOP_PHRASE * 300,
    "loop_rows": lambda text: "\n".join([text, *[LOOP_ROW] * 60, "end"]),
    "refusal": lambda text: REFUSAL,
    "blank_text": lambda text: "",
    "wrong_script": lambda text: OTHER_SCRIPT,
}


def _degenerate(kind: str, items: Items) -> tuple[str, str]:
    """The last page's text made degenerate; `loop_cut` loops until the answer is cut."""
    if not items:
        return json.dumps({"pages": items}), "stop"
    last = items[-1]
    if kind == "loop_cut":
        last["text"] = last["text"] + LOOP_PHRASE * 2000
        full = json.dumps({"pages": items})
        return full[: len(full) - 1000], "length"
    last["text"] = _DEGENERATE_TEXT[kind](last["text"])
    return json.dumps({"pages": items}), "stop"


def mangle_pages(kind: str, items: Items, extras: dict[str, Any]) -> tuple[str, str]:
    """Content and finish_reason for a mangled answer."""
    items = [dict(it) for it in items]
    if kind == "loop_cut" or kind in _DEGENERATE_TEXT:
        return _degenerate(kind, items)
    if kind in _BROKEN_CONTENT:
        return _BROKEN_CONTENT[kind](items)
    broken = _BROKEN_ITEMS.get(kind, lambda items, extras: items)
    return json.dumps({"pages": broken(items, extras)}), "stop"


def document_content(
    answer: Callable[[RecordedRequest], Any] | None,
    kind: str | None,
    record: RecordedRequest,
    payload: Mapping[str, Any],
) -> tuple[str, str]:
    """One object for a document request, mangled by an answer fault of ``kind``."""
    if answer is not None:
        produced = answer(record)
        content = produced if isinstance(produced, str) else json.dumps(produced)
    else:
        content = json.dumps(document_placeholder(payload.get("response_format")))
    if kind == "invalid_json":
        return content[: len(content) // 2], "stop"
    if kind == "empty":
        return "", "stop"
    if kind == "truncated":
        return content[: int(len(content) * 0.6)], "length"
    if kind == "fenced":
        return "```json\n" + content + "\n```", "stop"
    return content, "stop"


def completion(
    cfg: Mapping[str, Any],
    payload: Mapping[str, Any],
    images: list[SentImage],
    text_len: int,
    content: str,
    finish: str,
    answer_id: int,
) -> tuple[bytes, int]:
    """The chat.completion body carrying ``content``, and its total tokens."""
    prompt_tokens = sum(pixtral_tokens(im.width, im.height) for im in images) + text_len // 4
    completion_tokens = len(content) // 4
    choice: dict[str, Any] = {"index": 0, "finish_reason": finish}
    if cfg["legacy_text"]:
        choice["text"] = content
    else:
        choice["message"] = {"role": "assistant", "content": content}
    if payload.get("logprobs") is True:
        choice["logprobs"] = token_logprobs(content, cfg["token_logprob"])
    answer = {
        "id": f"chatcmpl-{answer_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": payload.get("model"),
        "choices": [choice],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return json.dumps(answer).encode(), prompt_tokens + completion_tokens


# Tokens of an answer's `logprobs` block: 4 characters each (as usage counts them), at most
# this many, so that a long answer's body stays small.
_MAX_LOGPROB_TOKENS = 256


def token_logprobs(content: str, logprob: float) -> dict[str, Any]:
    """A `logprobs` block as OpenAI and vLLM return it, every token at ``logprob``."""
    tokens = [content[i : i + 4] for i in range(0, len(content), 4)][:_MAX_LOGPROB_TOKENS]
    return {
        "content": [
            {
                "token": token,
                "logprob": logprob,
                "bytes": list(token.encode()),
                "top_logprobs": [],
            }
            for token in tokens
        ],
        "refusal": None,
    }
