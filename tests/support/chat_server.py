"""A real HTTP/1.1 OpenAI-compatible vision chat-completions server for tests.

``ChatServer`` listens on 127.0.0.1 (ephemeral port) in a background thread and answers
``POST {prefix}/chat/completions`` by "reading" each image's marker bands (see ``markers.py``)::

    with ChatServer(latency=0.3) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)

The answer content is ``{"pages": [{"image": i, "text": ...}, ...]}``, one item per image in
request order, ``text`` being ``expected_text(value)`` for a marked image and
``"unmarked image WxH"`` otherwise.

Faults (one per request): ``server.inject(*faults)`` queues one-shot faults consumed FIFO by the
next chat requests; otherwise ``fault_rates`` (``{spec: probability}``) draws one at random per
request from ``random.Random(seed)``. A fault is a ``Fault`` or its string spec:

- ``status(code, retry_after=None, retry_after_ms=None, message=None)`` / ``"status:503"``:
  answer ``code`` with OpenAI-style error JSON, plus ``Retry-After`` / ``retry-after-ms``.
- ``hang(seconds)`` / ``"hang:2.5"``: sleep that long (on top of ``latency``), then answer
  normally; interrupted when the client disconnects or the server stops.
- ``reset()`` / ``"reset"``: read the request, then close the socket with SO_LINGER 0 (RST).
- answer mangling, HTTP 200 with bad content (``mangle(kind)`` or the bare kind string):
  ``invalid_json`` (cut-off garbage), ``truncated`` (proper JSON cut at 60%,
  ``finish_reason: "length"``), ``fenced`` (wrapped in a json code fence), ``shuffled``
  (items reversed), ``missing`` (last item dropped), ``duplicated`` (first item appended again),
  ``conflicting_duplicate`` (first item appended again with text ``"conflicting <text>"``),
  ``extra`` (an item ``{"image": n+1, "text": "phantom"}`` appended), ``out_of_range`` (last
  item's image number set to n+5), ``bare_list`` (the item list without the ``pages`` wrapper),
  ``empty`` (content ``""``).

``capacity=N``: a request arriving while more than N are in flight is answered 429 at once
(``retry-after-ms: capacity_retry_ms``, no fault consumed); ``over_capacity`` counts them.

Document requests (a schema without the ``pages`` envelope, as ``--schema receipt`` sends) are
answered with one object: ``document_answer(record)`` when given (a dict, or a string sent as
is), else placeholders for the schema's properties. The faults ``invalid_json``, ``empty``,
``truncated`` and ``fenced`` mangle a document answer too.

``strict_schemas=True`` (OpenAI) answers 400 unless ``response_format`` is strict: every object
closed and every property required. ``PROFILES`` / ``ChatServer.for_provider(name)`` reproduce
each provider preset's documented behaviour (path prefix, image limit and its status code,
``response_format`` support, legacy ``choices[0].text``, strict schemas).

Order of checks for a chat request: auth (401, consumes no fault), capacity, then a fault is
taken, then ``latency`` (and any hang) is slept, then status/reset faults answer, then the
request is validated (400 bad body, ``response_format`` unsupported, too many images, context
length), then the normal answer is built and mangled. A mangling fault taken by a request that fails
validation is used up.
"""

from __future__ import annotations

import base64
import binascii
import collections
import contextlib
import io
import json
import math
import os
import random
import select
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from markers import expected_text, read_marker
from PIL import Image

MANGLE_KINDS = frozenset(
    {
        "invalid_json",
        "truncated",
        "fenced",
        "shuffled",
        "missing",
        "duplicated",
        "conflicting_duplicate",
        "extra",
        "out_of_range",
        "bare_list",
        "empty",
    }
)
FAULT_KINDS = MANGLE_KINDS | {"status", "hang", "reset"}


@dataclass(frozen=True)
class Fault:
    """One injected fault; build it with ``status``, ``hang``, ``reset`` or ``mangle``."""

    kind: str
    code: int = 0
    retry_after: float | None = None
    retry_after_ms: int | None = None
    message: str | None = None
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")


def status(
    code: int,
    retry_after: float | None = None,
    retry_after_ms: int | None = None,
    message: str | None = None,
) -> Fault:
    """Answer HTTP ``code`` with an error body and optional retry headers."""
    return Fault(
        "status", code=code, retry_after=retry_after, retry_after_ms=retry_after_ms, message=message
    )


def hang(seconds: float) -> Fault:
    """Sleep ``seconds`` before answering normally."""
    return Fault("hang", seconds=seconds)


def reset() -> Fault:
    """Drop the connection with a TCP RST and no response."""
    return Fault("reset")


def mangle(kind: str) -> Fault:
    """A 200 answer whose content is broken the way ``kind`` says."""
    if kind not in MANGLE_KINDS:
        raise ValueError(f"unknown mangling kind {kind!r}")
    return Fault(kind)


def parse_fault(spec: Fault | str) -> Fault:
    """A ``Fault`` from itself or a string spec (``"reset"``, ``"status:429"``, ``"hang:2"``...)."""
    if isinstance(spec, Fault):
        return spec
    kind, _, arg = spec.partition(":")
    if kind == "status":
        return status(int(arg))
    if kind == "hang":
        return hang(float(arg))
    if kind == "reset" and not arg:
        return reset()
    if arg:
        raise ValueError(f"bad fault spec {spec!r}")
    return mangle(kind)


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


class _BadRequest(Exception):
    """Raised while parsing a request to answer 400 with ``message``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class _Image:
    mime: str
    width: int
    height: int
    n_bytes: int
    fmt: str | None
    value: int | None


def pixtral_tokens(width: int, height: int) -> int:
    """Pixtral's image token count: rows * (cols + 1) with 16-pixel patches."""
    cols = math.ceil(width / 16)
    rows = math.ceil(height / 16)
    return rows * (cols + 1)


def _error_body(message: str, type_: str, code: str | int | None) -> bytes:
    return json.dumps(
        {"error": {"message": message, "type": type_, "param": None, "code": code}}
    ).encode()


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


def _extra_fields(response_format: Any) -> dict[str, Any]:
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


def _is_document_request(
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


def _document_placeholder(response_format: Any) -> dict[str, Any]:
    try:
        root = response_format["json_schema"]["schema"]
        props = root["properties"]
    except (KeyError, TypeError):
        return {}
    return {name: _placeholder(prop, root) for name, prop in props.items()}


def _strictness_problem(response_format: Any, where: str = "()") -> str | None:
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


# Each provider preset's documented behaviour (../shared/docs/endpoints.md), as server settings.
PROFILES: dict[str, dict[str, Any]] = {
    "scaleway": {"prefix": "/v1", "api_key": "k", "max_images": 12},
    "scaleway-managed": {
        "prefix": "/v1",
        "api_key": "k",
        "max_images": 12,
        "too_many_images_status": 413,
    },
    "predictionguard": {
        "prefix": "",
        "api_key": "k",
        "max_images": 1,
        "supports_response_format": False,
        "legacy_text": True,
    },
    "gravix": {"prefix": "/v1/inference", "api_key": "k"},
    # vLLM started with --limit-mm-per-prompt '{"image":4}'.
    "vllm": {"prefix": "/v1", "max_images": 4},
    "openai": {"prefix": "/v1", "api_key": "k", "strict_schemas": True},
    "ollama": {"prefix": "/v1"},
}


def _mangle(kind: str, items: list[dict[str, Any]], extras: dict[str, Any]) -> tuple[str, str]:
    """Content and finish_reason for a mangled answer."""
    n = len(items)
    items = [dict(it) for it in items]
    finish = "stop"
    if kind == "invalid_json":
        return '{"pages": [{"image": 1, "text": "x"', finish
    if kind == "empty":
        return "", finish
    if kind == "truncated":
        full = json.dumps({"pages": items})
        return full[: int(len(full) * 0.6)], "length"
    if kind == "fenced":
        return "```json\n" + json.dumps({"pages": items}) + "\n```", finish
    if kind == "bare_list":
        return json.dumps(items), finish
    if kind == "shuffled":
        items.reverse()
    elif kind == "missing":
        items = items[:-1]
    elif kind == "duplicated" and items:
        items.append(dict(items[0]))
    elif kind == "conflicting_duplicate" and items:
        items.append({**items[0], "text": f"conflicting {items[0]['text']}"})
    elif kind == "extra":
        items.append({"image": n + 1, "text": "phantom", **extras})
    elif kind == "out_of_range" and items:
        items[-1]["image"] = n + 5
    return json.dumps({"pages": items}), finish


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 makes bursts of connections wait for SYN retransmits.
    request_queue_size = 128
    chat: ChatServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that vanish; print anything else."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive, every answer JSON with a Content-Length."""

    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    # The chat request being handled on this connection, until it is recorded.
    _record: RecordedRequest | None = None
    _answer_values: tuple[int | None, ...] | None = None

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def setup(self) -> None:
        """Track the connection so the server can close idle keep-alive sockets on exit."""
        super().setup()
        # Headers and body go out in two writes: without NODELAY, Nagle holds the body back
        # until the client's delayed ACK (~40 ms per request).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.chat._track(self.connection, add=True)

    def finish(self) -> None:
        """Untrack the connection."""
        self.server.chat._track(self.connection, add=False)
        with contextlib.suppress(OSError):
            super().finish()

    # --- plumbing -------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        """The request body, by Content-Length or chunked encoding."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # Skip trailers up to the blank line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, code: int, body: bytes, headers: Mapping[str, str] | None = None) -> bool:
        """Write a JSON response; False when the client is gone."""
        # Stats are settled before the first byte goes out, so a client that has its answer
        # always sees the server's counters and records already up to date.
        self._finalize(code)
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
            return False
        return True

    def _sleep(self, seconds: float) -> bool:
        """Sleep in small steps; False if the server stops or the client disconnects."""
        deadline = time.monotonic() + seconds
        stop = self.server.chat._stop
        peer_alive = True
        while (left := deadline - time.monotonic()) > 0:
            if stop.is_set():
                return False
            step = min(left, 0.02)
            if not peer_alive:
                time.sleep(step)
                continue
            try:
                readable, _, _ = select.select([self.connection], [], [], step)
                if readable and not self.connection.recv(1, socket.MSG_PEEK):
                    return False  # EOF: the client gave up (e.g. its timeout fired)
            except (OSError, ValueError):
                return False
            if readable:
                # Pipelined data is waiting: stop polling (it would spin) and just sleep.
                peer_alive = False
        return not stop.is_set()

    def _abort(self) -> None:
        self.close_connection = True

    def _reset(self) -> None:
        """Close the socket so the kernel sends RST instead of FIN."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            os.close(self.connection.detach())
        except OSError:
            pass

    # --- routes ---------------------------------------------------------------------------

    def do_GET(self) -> None:
        """``{prefix}/models``; anything else 404."""
        chat = self.server.chat
        path = self.path.split("?", 1)[0]
        if path != f"{chat.prefix}/models":
            self._send(404, _error_body(f"Not found: {path}", "invalid_request_error", 404))
            return
        if not chat._authorized(self.headers.get("Authorization")):
            self._send(401, chat._unauthorized_body())
            return
        body = {
            "object": "list",
            "data": [{"id": chat.model, "object": "model", "created": 0, "owned_by": "tests"}],
        }
        self._send(200, json.dumps(body).encode())

    def do_POST(self) -> None:
        """``{prefix}/chat/completions``; anything else 404."""
        chat = self.server.chat
        path = self.path.split("?", 1)[0]
        if path != f"{chat.prefix}/chat/completions":
            try:
                self._read_body()  # keeps a keep-alive connection in sync
            except (OSError, ValueError):
                self._abort()
                return
            self._send(404, _error_body(f"Not found: {path}", "invalid_request_error", 404))
            return
        # In flight from the moment the headers are parsed until the answer goes out.
        chat._enter()
        record = RecordedRequest(path=path, started_at=time.monotonic())
        record.authorization = self.headers.get("Authorization")
        record.headers = {k.lower(): v for k, v in self.headers.items()}
        self._record = record
        self._answer_values = None
        try:
            try:
                raw = self._read_body()
            except (OSError, ValueError):
                self._abort()
                return
            try:
                self._chat(raw, record)
            except Exception as exc:  # noqa: BLE001 - a server bug must reach the test as a 500
                traceback.print_exc()
                self._send(500, _error_body(f"test server bug: {exc!r}", "server_error", 500))
        finally:
            self._finalize(None)

    def _finalize(self, code: int | None) -> None:
        """Record the current chat request once, with the status about to be sent."""
        record = self._record
        if record is None:
            return
        self._record = None
        record.status = code
        record.finished_at = time.monotonic()
        self.server.chat._leave(record, self._answer_values)

    def _chat(self, raw: bytes, record: RecordedRequest) -> None:
        """Handle one chat request."""
        chat = self.server.chat
        cfg = chat._snapshot()
        if cfg["api_key"] is not None and not chat._authorized(record.authorization):
            self._send(401, chat._unauthorized_body())
            return
        if cfg["capacity"] is not None and chat.in_flight > cfg["capacity"]:
            # An endpoint at capacity: 429 at once, as Scaleway does for too many concurrent
            # requests, asking for a short wait.
            with chat._lock:
                chat.over_capacity += 1
            body = _error_body("Too many concurrent requests", "rate_limit_error", 429)
            self._send(429, body, {"retry-after-ms": str(cfg["capacity_retry_ms"])})
            return
        fault = chat._take_fault()
        record.fault = fault
        delay = cfg["latency"] + (fault.seconds if fault and fault.kind == "hang" else 0.0)
        if delay > 0 and not self._sleep(delay):
            self._abort()
            return
        if fault and fault.kind == "reset":
            self._finalize(None)
            self._reset()
            return
        if fault and fault.kind == "status":
            headers: dict[str, str] = {}
            if fault.retry_after is not None:
                ra = fault.retry_after
                headers["Retry-After"] = str(int(ra)) if float(ra).is_integer() else str(ra)
            if fault.retry_after_ms is not None:
                headers["retry-after-ms"] = str(int(fault.retry_after_ms))
            type_ = (
                "rate_limit_error"
                if fault.code == 429
                else ("server_error" if fault.code >= 500 else "invalid_request_error")
            )
            message = fault.message or f"Simulated HTTP {fault.code} from the test server"
            body = _error_body(message, type_, fault.code)
            self._send(fault.code, body, headers)
            return
        try:
            payload, images, text_len = self._parse(raw, record)
        except _BadRequest as exc:
            self._send(400, _error_body(exc.message, "BadRequestError", 400))
            return
        rejection = self._validate(cfg, payload, images, text_len)
        if rejection is not None:
            code, message = rejection
            body = _error_body(message, "BadRequestError" if code == 400 else "error", code)
            self._send(code, body)
            return

        if _is_document_request(payload, record, chat.document_answer is not None):
            content, finish = self._document_content(fault, record, payload)
            self._answer(cfg, payload, record, images, text_len, content, finish)
            return
        extras = _extra_fields(payload.get("response_format"))
        items: list[dict[str, Any]] = []
        for i, img in enumerate(images, start=1):
            text = (
                expected_text(img.value)
                if img.value is not None
                else f"unmarked image {img.width}x{img.height}"
            )
            items.append({"image": i, "text": text, **extras})
        if fault is not None and fault.kind in MANGLE_KINDS:
            content, finish = _mangle(fault.kind, items, extras)
        else:
            content, finish = json.dumps({"pages": items}), "stop"
        if fault is None or fault.kind == "hang":
            self._answer_values = tuple(img.value for img in images)
        self._answer(cfg, payload, record, images, text_len, content, finish)

    def _document_content(
        self, fault: Fault | None, record: RecordedRequest, payload: Mapping[str, Any]
    ) -> tuple[str, str]:
        """One object for a document request, mangled by an answer fault."""
        answer = self.server.chat.document_answer
        if answer is not None:
            produced = answer(record)
            content = produced if isinstance(produced, str) else json.dumps(produced)
        else:
            content = json.dumps(_document_placeholder(payload.get("response_format")))
        kind = fault.kind if fault is not None else None
        if kind == "invalid_json":
            return content[: len(content) // 2], "stop"
        if kind == "empty":
            return "", "stop"
        if kind == "truncated":
            return content[: int(len(content) * 0.6)], "length"
        if kind == "fenced":
            return "```json\n" + content + "\n```", "stop"
        return content, "stop"

    def _answer(
        self,
        cfg: Mapping[str, Any],
        payload: Mapping[str, Any],
        record: RecordedRequest,
        images: list[_Image],
        text_len: int,
        content: str,
        finish: str,
    ) -> None:
        chat = self.server.chat
        prompt_tokens = sum(pixtral_tokens(im.width, im.height) for im in images) + text_len // 4
        completion_tokens = len(content) // 4
        record.total_tokens = prompt_tokens + completion_tokens
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish}
        if cfg["legacy_text"]:
            choice["text"] = content
        else:
            choice["message"] = {"role": "assistant", "content": content}
        answer = {
            "id": f"chatcmpl-{chat._next_id()}",
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
        self._send(200, json.dumps(answer).encode())

    def _parse(
        self, raw: bytes, record: RecordedRequest
    ) -> tuple[dict[str, Any], list[_Image], int]:
        """Decode the body and its images; fills ``record``."""
        try:
            payload = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _BadRequest(f"Invalid JSON body: {exc}") from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("messages"), list):
            raise _BadRequest("'messages' is a required property")
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

        images: list[_Image] = []
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
                    images.append(
                        self._load_image(url, len(images) + 1, self.server.chat.read_markers)
                    )
        record.n_images = len(images)
        record.image_sizes = [(im.width, im.height) for im in images]
        record.image_mimes = [im.mime for im in images]
        record.image_formats = [im.fmt for im in images]
        record.image_bytes = [im.n_bytes for im in images]
        record.marker_values = [im.value for im in images]
        return payload, images, text_len

    @staticmethod
    def _load_image(url: Any, index: int, read_markers: bool = True) -> _Image:
        if not isinstance(url, str) or not url.startswith("data:") or "," not in url:
            raise _BadRequest(f"Image {index}: only base64 data URLs are supported")
        header, data = url[5:].split(",", 1)
        mime = header.split(";", 1)[0]
        try:
            blob = base64.b64decode(data, validate=True)
            with Image.open(io.BytesIO(blob)) as img:
                if not read_markers:
                    return _Image(mime, img.width, img.height, len(blob), img.format, None)
                img.load()
                value = read_marker(img)
                return _Image(mime, img.width, img.height, len(blob), img.format, value)
        except (binascii.Error, OSError, ValueError, Image.DecompressionBombError) as exc:
            raise _BadRequest(f"Failed to load image {index}: {exc}") from exc

    @staticmethod
    def _validate(
        cfg: Mapping[str, Any], payload: Mapping[str, Any], images: list[_Image], text_len: int
    ) -> tuple[int, str] | None:
        """(status, message) when the server's limits reject the request."""
        if not cfg["supports_response_format"] and payload.get("response_format") is not None:
            return 400, "response_format is not supported"
        if cfg["strict_schemas"] and payload.get("response_format") is not None:
            problem = _strictness_problem(payload["response_format"])
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


class ChatServer:
    """Fake OpenAI-compatible vision endpoint on 127.0.0.1; use as a context manager."""

    def __init__(
        self,
        *,
        prefix: str = "/v1",
        latency: float = 0.0,
        api_key: str | None = None,
        max_images: int | None = None,
        too_many_images_status: int = 400,
        context_tokens: int | None = None,
        supports_response_format: bool = True,
        legacy_text: bool = False,
        fault_rates: Mapping[str, float] | None = None,
        seed: int = 0,
        model: str = "fake-vision",
        capacity: int | None = None,
        capacity_retry_ms: int = 100,
        strict_schemas: bool = False,
        document_answer: Callable[[RecordedRequest], Any] | None = None,
        read_markers: bool = True,
    ) -> None:
        self.prefix = prefix.rstrip("/")
        # False: images are only sized from their headers, never decoded (benchmarks, where
        # decoding would take CPU from the pipeline being measured); answers are "unmarked".
        self.read_markers = read_markers
        self.latency = latency
        self.api_key = api_key
        self.max_images = max_images
        self.too_many_images_status = too_many_images_status
        self.context_tokens = context_tokens
        self.capacity = capacity
        self.capacity_retry_ms = capacity_retry_ms
        self.over_capacity = 0
        self.supports_response_format = supports_response_format
        self.legacy_text = legacy_text
        self.strict_schemas = strict_schemas
        self.document_answer = document_answer
        self.model = model
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._faults: collections.deque[Fault] = collections.deque()
        self._rates: list[tuple[Fault, float]] = []
        self._seed = seed
        self._rng = random.Random(seed)
        self.fault_rates = fault_rates
        self._ids = 0
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.request_count = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests: list[RecordedRequest] = []
        self.answered_values: list[tuple[int | None, ...]] = []

    @classmethod
    def for_provider(cls, name: str, **overrides: Any) -> ChatServer:
        """A server that behaves as the provider's documented endpoint (see ``PROFILES``)."""
        return cls(**{**PROFILES[name], **overrides})

    # --- configuration --------------------------------------------------------------------

    @property
    def seed(self) -> int:
        """Seed of the random fault draws; setting it restarts the sequence."""
        return self._seed

    @seed.setter
    def seed(self, value: int) -> None:
        with self._lock:
            self._seed = value
            self._rng = random.Random(value)

    @property
    def fault_rates(self) -> dict[str, float] | None:
        """Per-request probability of each fault spec (e.g. ``{"status:503": 0.1}``)."""
        return {self._spec(f): p for f, p in self._rates} or None

    @fault_rates.setter
    def fault_rates(self, rates: Mapping[str, float] | None) -> None:
        parsed = [(parse_fault(spec), float(p)) for spec, p in (rates or {}).items()]
        if any(p < 0 for _, p in parsed) or sum(p for _, p in parsed) > 1 + 1e-9:
            raise ValueError("fault rates must be >= 0 and sum to at most 1")
        with self._lock:
            self._rates = parsed

    @staticmethod
    def _spec(fault: Fault) -> str:
        if fault.kind == "status":
            return f"status:{fault.code}"
        if fault.kind == "hang":
            return f"hang:{fault.seconds:g}"
        return fault.kind

    def inject(self, *faults: Fault | str) -> None:
        """Queue one-shot faults, consumed in order by the next chat requests."""
        parsed = [parse_fault(f) for f in faults]
        with self._lock:
            self._faults.extend(parsed)

    @property
    def pending_faults(self) -> int:
        """How many injected faults are still queued."""
        with self._lock:
            return len(self._faults)

    def reset_stats(self) -> None:
        """Clear counters and records (``in_flight`` keeps counting live requests)."""
        with self._lock:
            self.request_count = 0
            self.max_in_flight = self.in_flight
            self.requests = []
            self.answered_values = []
            self.over_capacity = 0

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The listening port."""
        if self._httpd is None:
            raise RuntimeError("server not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` without the prefix."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The URL to give an OpenAI client: root URL plus prefix."""
        return self.url + self.prefix

    def start(self) -> ChatServer:
        """Bind and serve in a background thread."""
        if self._httpd is not None:
            return self
        self._stop.clear()
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.chat = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
            name=f"ChatServer:{self.port}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping handlers and close every connection."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stop.set()
        httpd.shutdown()
        httpd.server_close()
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            # Unblocks handler threads waiting for the next keep-alive request.
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- used by handlers -----------------------------------------------------------------

    def _snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "latency": self.latency,
                "api_key": self.api_key,
                "max_images": self.max_images,
                "too_many_images_status": self.too_many_images_status,
                "context_tokens": self.context_tokens,
                "capacity": self.capacity,
                "capacity_retry_ms": self.capacity_retry_ms,
                "supports_response_format": self.supports_response_format,
                "legacy_text": self.legacy_text,
                "strict_schemas": self.strict_schemas,
            }

    def _authorized(self, header: str | None) -> bool:
        return self.api_key is None or header == f"Bearer {self.api_key}"

    @staticmethod
    def _unauthorized_body() -> bytes:
        return _error_body(
            "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
        )

    def _take_fault(self) -> Fault | None:
        with self._lock:
            if self._faults:
                return self._faults.popleft()
            if not self._rates:
                return None
            draw = self._rng.random()
            for fault, p in self._rates:
                if draw < p:
                    return fault
                draw -= p
            return None

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _enter(self) -> None:
        with self._lock:
            self.request_count += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self, record: RecordedRequest, answered: tuple[int | None, ...] | None) -> None:
        with self._lock:
            self.in_flight -= 1
            self.requests.append(record)
            if answered is not None:
                self.answered_values.append(answered)

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids
