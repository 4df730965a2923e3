"""Faults of a hostile endpoint: answers trickled, redirected, non-JSON, bombs, absurd usage.

- ``trickle(seconds_per_byte)``: the whole normal answer, status line included, one byte at
  a time; stops when the client goes away.
- ``redirect(location, code=307)``: answer ``code`` with ``Location: location``.
- ``raw(body, content_type="application/json", code=200)``: answer exactly these bytes.
- ``gzip_bomb(inflated_bytes)``: 200, ``Content-Encoding: gzip``, a body of that many zeros
  compressed (about a thousandth of its size on the wire).
- ``usage(**figures)``: the normal answer with these ``usage`` figures (any JSON values).
"""

from __future__ import annotations

import functools
import json
import zlib
from typing import TYPE_CHECKING, Any

from .faults import Fault

if TYPE_CHECKING:
    from .handler import ChatHandler

# Answered before the request is read as a chat request; the others change the normal answer.
ANSWERED_EARLY = frozenset({"redirect", "raw"})


def trickle(seconds_per_byte: float) -> Fault:
    """Send the normal answer one byte every ``seconds_per_byte``."""
    return Fault("trickle", seconds=seconds_per_byte)


def redirect(location: str, code: int = 307) -> Fault:
    """Redirect the request to ``location``."""
    return Fault("redirect", code=code, location=location)


def raw(body: bytes, content_type: str = "application/json", code: int = 200) -> Fault:
    """Answer ``code`` with exactly ``body``."""
    return Fault("raw", code=code, body=body, content_type=content_type)


def gzip_bomb(inflated_bytes: int) -> Fault:
    """A 200 whose gzip body inflates to ``inflated_bytes`` zeros."""
    return Fault("gzip_bomb", size=inflated_bytes)


def usage(**figures: Any) -> Fault:
    """The normal answer, its ``usage`` figures replaced by these."""
    return Fault("usage", usage=tuple(figures.items()))


def answer_early(handler: ChatHandler, fault: Fault) -> None:
    """A redirect or a raw answer."""
    if fault.kind == "redirect":
        body = json.dumps({"moved": fault.location}).encode()
        send_bytes(handler, fault.code, body, {"Location": str(fault.location)})
        return
    send_bytes(handler, fault.code, fault.body or b"", {"Content-Type": fault.content_type})


def deliver(handler: ChatHandler, fault: Fault | None, body: bytes) -> None:
    """Send the normal answer ``body`` as the fault says: trickled, bombed, usage replaced."""
    kind = fault.kind if fault is not None else None
    if kind == "trickle" and fault is not None:
        _trickle(handler, body, fault.seconds)
    elif kind == "gzip_bomb" and fault is not None:
        bomb = _zeros_gzipped(fault.size)
        send_bytes(handler, 200, bomb, {"Content-Encoding": "gzip"})
    elif kind == "usage" and fault is not None:
        answer = json.loads(body)
        answer["usage"] = {**answer["usage"], **dict(fault.usage)}
        handler._send(200, json.dumps(answer).encode())
    else:
        handler._send(200, body)


def send_bytes(handler: ChatHandler, code: int, body: bytes, headers: dict[str, str]) -> None:
    """Write ``body`` with these headers (``Content-Type`` JSON unless one is given)."""
    handler._finalize(code)
    try:
        handler.send_response(code)
        if "Content-Type" not in headers:
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
    except OSError:
        handler.close_connection = True


def _trickle(handler: ChatHandler, body: bytes, interval: float) -> None:
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    handler.close_connection = True
    for byte in head + body:
        if not handler._sleep(interval):
            return  # the client gave up: recorded with no status
        try:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
        except OSError:
            return
    handler._finalize(200)


@functools.lru_cache(maxsize=4)
def _zeros_gzipped(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1 << 20)
    parts = []
    for start in range(0, size, len(block)):
        parts.append(compressor.compress(block[: min(len(block), size - start)]))
    parts.append(compressor.flush())
    return b"".join(parts)
