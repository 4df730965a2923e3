"""The HTTP side of a ChatServer: one handler per connection, routing and answering."""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import ssl
import struct
import sys
import time
import traceback
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .answers import (
    completion,
    document_content,
    extra_fields,
    is_document_request,
    mangle_pages,
    page_items,
)
from .faults import MANGLE_KINDS, Fault, error_body, status_answer
from .hostile import ANSWERED_EARLY, answer_early, deliver
from .limits import rejection
from .reading import BadRequest, RecordedRequest, SentImage, parse_request

if TYPE_CHECKING:
    from .server import ChatServer


class ChatHTTPServer(ThreadingHTTPServer):
    """The listening socket of one ChatServer; handlers reach it as ``self.server.chat``."""

    daemon_threads = True
    # The default backlog of 5 makes bursts of connections wait for SYN retransmits.
    request_queue_size = 128
    chat: ChatServer
    # Set for a TLS server: accepted connections are wrapped, their handshake made later.
    tls: ssl.SSLContext | None = None

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        self.chat._accepted()
        if self.tls is not None:
            conn = self.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that vanish; print anything else."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class ChatHandler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive, every answer JSON with a Content-Length."""

    protocol_version = "HTTP/1.1"
    server: ChatHTTPServer
    # The chat request being handled on this connection, until it is recorded.
    _record: RecordedRequest | None = None
    _answer_values: tuple[int | None, ...] | None = None

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def setup(self) -> None:
        """Track the connection so the server can close idle keep-alive sockets on exit."""
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()  # here, not in the accepting thread
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
            self._send(404, error_body(f"Not found: {path}", "invalid_request_error", 404))
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
            self._send(404, error_body(f"Not found: {path}", "invalid_request_error", 404))
            return
        # In flight from the moment the headers are parsed until the answer goes out.
        chat._enter()
        record = RecordedRequest(path=path, started_at=time.monotonic())
        record.authorization = self.headers.get("Authorization")
        # Every header as sent, names in lower case (what a gateway's settings ride on).
        record.headers = {name.lower(): value for name, value in self.headers.items()}
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
                self._send(500, error_body(f"test server bug: {exc!r}", "server_error", 500))
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
        if self._turned_away(cfg, record):
            return
        fault = chat._take_fault()
        record.fault = fault
        delay = cfg["latency"] + (fault.seconds if fault and fault.kind == "hang" else 0.0)
        if delay > 0 and not self._sleep(delay):
            self._abort()
            return
        if fault and fault.kind in ("reset", "status", *ANSWERED_EARLY):
            self._fail(fault)
            return
        try:
            payload, images, text_len = parse_request(raw, record, chat.read_markers)
        except BadRequest as exc:
            self._send(400, error_body(exc.message, "BadRequestError", 400))
            return
        refused = rejection(cfg, payload, images, text_len)
        if refused is not None:
            code, message = refused
            body = error_body(message, "BadRequestError" if code == 400 else "error", code)
            self._send(code, body)
            return
        content, finish = self._content(fault, record, payload, images)
        body, record.total_tokens = completion(
            cfg, payload, images, text_len, content, finish, chat._next_id()
        )
        deliver(self, fault, body)

    def _turned_away(self, cfg: Mapping[str, Any], record: RecordedRequest) -> bool:
        """Answer 401 to a wrong key and 429 over capacity; False when the request may go on."""
        chat = self.server.chat
        if cfg["api_key"] is not None and not chat._authorized(record.authorization):
            self._send(401, chat._unauthorized_body())
            return True
        if cfg["capacity"] is not None and chat.in_flight > cfg["capacity"]:
            # An endpoint at capacity: 429 at once, as Scaleway does for too many concurrent
            # requests, asking for a short wait.
            with chat._lock:
                chat.over_capacity += 1
            body = error_body("Too many concurrent requests", "rate_limit_error", 429)
            self._send(429, body, {"retry-after-ms": str(cfg["capacity_retry_ms"])})
            return True
        return False

    def _fail(self, fault: Fault) -> None:
        """A reset or status fault: drop the connection, or answer its error."""
        if fault.kind == "reset":
            self._finalize(None)
            self._reset()
            return
        if fault.kind in ANSWERED_EARLY:
            answer_early(self, fault)
            return
        body, headers = status_answer(fault)
        self._send(fault.code, body, headers)

    def _content(
        self,
        fault: Fault | None,
        record: RecordedRequest,
        payload: Mapping[str, Any],
        images: list[SentImage],
    ) -> tuple[str, str]:
        """Content and finish_reason of the answer, mangled by an answer fault."""
        chat = self.server.chat
        if is_document_request(payload, record, chat.document_answer is not None):
            kind = fault.kind if fault is not None else None
            return document_content(chat.document_answer, kind, record, payload)
        extras = extra_fields(payload.get("response_format"))
        items = page_items(images, extras)
        if fault is not None and fault.kind in MANGLE_KINDS:
            return mangle_pages(fault.kind, items, extras)
        if fault is None or fault.kind in ("hang", "usage"):
            self._answer_values = tuple(img.value for img in images)
        return json.dumps({"pages": items}), "stop"
