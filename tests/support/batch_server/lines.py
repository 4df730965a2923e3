"""Answering the lines of a batch input file as the chat server would answer them online."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chat_server.answers import completion, extra_fields, mangle_pages, page_items
from chat_server.faults import error_body
from chat_server.reading import BadRequest, RecordedRequest, parse_request

# What a line fault does to one line of a batch:
# - "status:CODE": the line's response carries that HTTP status and an error body;
# - "error": the line fails without a response and goes to the error file;
# - "drop": the line never appears in any output (a provider that loses it);
# - a chat server answer mangling ("invalid_json", "missing", "shuffled", ...): HTTP 200 with
#   that mangled content.
LINE_FAULT_KINDS = ("status", "error", "drop")

_CFG = {"legacy_text": False, "token_logprob": -0.01}


@dataclass(frozen=True)
class InputLine:
    """One line of an uploaded input file, as the server read it."""

    index: int
    custom_id: str
    model: str | None
    body: Mapping[str, Any]
    method: str | None
    url: str | None


def read_input(data: bytes) -> list[InputLine]:
    """The lines of a JSONL file; ValueError names the first line that is not a request."""
    lines: list[InputLine] = []
    for index, raw in enumerate(data.splitlines()):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {index + 1} is not JSON: {exc}") from exc
        body = line.get("body") if isinstance(line, dict) else None
        if not isinstance(body, dict) or not isinstance(line.get("custom_id"), str):
            raise ValueError(f"line {index + 1} has no custom_id or body")
        lines.append(
            InputLine(
                index,
                line["custom_id"],
                body.get("model"),
                body,
                line.get("method"),
                line.get("url"),
            )
        )
    return lines


def check_input(lines: list[InputLine], max_lines: int, openai_lines: bool) -> str | None:
    """Why a file cannot make a batch (too many lines, several models, a bad line), or None."""
    if len(lines) > max_lines:
        return f"The input file has {len(lines)} requests; at most {max_lines} are allowed."
    models = {line.model for line in lines}
    if len(models) > 1:
        return f"All requests of a batch must use one model; found {sorted(map(str, models))}."
    if openai_lines:
        for line in lines:
            if line.method != "POST" or line.url != "/v1/chat/completions":
                return f"Line {line.index + 1}: method must be POST and url /v1/chat/completions."
    if len({line.custom_id for line in lines}) != len(lines):
        return "custom_id values must be unique within a batch."
    return None


def answer_line(line: InputLine, fault: str | None, answer_id: int) -> tuple[str, dict[str, Any]]:
    """("output" | "error" | "drop", the output line) for one input line."""
    if fault == "drop":
        return "drop", {}
    if fault == "error":
        error = {"code": "server_error", "message": "The request could not be processed."}
        return "error", _output_line(line, answer_id, None, error)
    if fault is not None and fault.startswith("status:"):
        code = int(fault.split(":", 1)[1])
        body = json.loads(error_body(f"Simulated HTTP {code} in a batch", "server_error", code))
        return "error", _output_line(line, answer_id, {"status_code": code, "body": body}, None)
    try:
        payload, images, text_len = parse_request(
            json.dumps(line.body).encode(), RecordedRequest(path="batch"), True
        )
    except BadRequest as exc:
        body = json.loads(error_body(exc.message, "invalid_request_error", 400))
        return "error", _output_line(line, answer_id, {"status_code": 400, "body": body}, None)
    extras = extra_fields(payload.get("response_format"))
    items = page_items(images, extras)
    if fault is not None:
        content, finish = mangle_pages(fault, items, extras)
    else:
        content, finish = json.dumps({"pages": items}), "stop"
    raw, _ = completion(_CFG, payload, images, text_len, content, finish, answer_id)
    response = {"status_code": 200, "body": json.loads(raw)}
    return "output", _output_line(line, answer_id, response, None)


def expired_line(line: InputLine, answer_id: int) -> dict[str, Any]:
    """The error-file line of a request the batch never ran before it expired."""
    error = {
        "code": "batch_expired",
        "message": "This request could not be executed before the completion window expired.",
    }
    return _output_line(line, answer_id, None, error)


def _output_line(
    line: InputLine, answer_id: int, response: dict[str, Any] | None, error: Any
) -> dict[str, Any]:
    if response is not None:
        response = {**response, "request_id": f"req-{answer_id}"}
    return {
        "id": f"batch_req_{answer_id}",
        "custom_id": line.custom_id,
        "response": response,
        "error": error,
    }
