"""Faults a ChatServer injects (kinds, constructors, string specs) and its error bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass

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
# Degenerate answers for the last page of a request (answers.py): valid JSON whose page text
# is a loop, a refusal, nothing, or another script; `loop_cut` runs its loop to the token
# limit and is cut there (finish_reason "length"), as an unconstrained model's loop is.
DEGENERATE_KINDS = frozenset(
    {"loop", "loop_rows", "loop_cut", "refusal", "blank_text", "wrong_script"}
)
MANGLE_KINDS = MANGLE_KINDS | DEGENERATE_KINDS
# A hostile endpoint's faults (hostile.py).
HOSTILE_KINDS = frozenset({"trickle", "redirect", "raw", "gzip_bomb", "usage"})
FAULT_KINDS = MANGLE_KINDS | HOSTILE_KINDS | {"status", "hang", "reset"}


@dataclass(frozen=True)
class Fault:
    """One injected fault; build it with ``status``, ``hang``, ``reset``, ``mangle`` or one of
    hostile.py's."""

    kind: str
    code: int = 0
    retry_after: float | None = None
    retry_after_ms: int | None = None
    message: str | None = None
    seconds: float = 0.0
    location: str | None = None
    body: bytes | None = None
    content_type: str = "application/json"
    size: int = 0
    usage: tuple[tuple[str, object], ...] = ()

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


def spec_of(fault: Fault) -> str:
    """The string spec of ``fault``: ``"status:503"``, ``"hang:2.5"``, ``"reset"``, a kind."""
    if fault.kind == "status":
        return f"status:{fault.code}"
    if fault.kind == "hang":
        return f"hang:{fault.seconds:g}"
    return fault.kind


def error_body(message: str, type_: str, code: str | int | None) -> bytes:
    """An OpenAI-style error body."""
    return json.dumps(
        {"error": {"message": message, "type": type_, "param": None, "code": code}}
    ).encode()


def status_answer(fault: Fault) -> tuple[bytes, dict[str, str]]:
    """Body and headers of the error a ``status`` fault answers."""
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
    return error_body(message, type_, fault.code), headers
