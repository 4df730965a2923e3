"""What an SDK error says in one line, and what kind of connection failure it is."""

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import openai


def is_connect_error(cause: BaseException | None) -> bool:
    import httpx2  # openai's HTTP client, loaded with it

    return isinstance(cause, httpx2.ConnectError)


def certificate_failure(exc: BaseException) -> str | None:
    """The TLS verification failure behind a connection error (its reason), if it is one:
    retrying cannot make a certificate trusted."""
    import ssl

    seen: BaseException | None = exc
    for _ in range(8):  # the SDK's error, httpx2's, httpcore2's, then the ssl module's
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return str(seen.verify_message or seen.reason or "unknown reason")
        seen = seen.__cause__ or seen.__context__
    return None


def describe(exc: "openai.APIError", redact: Callable[[str], str]) -> str:
    """One line on what went wrong, the key redacted before the line is cut to length."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "request timed out"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        if cause is None:
            return "connection error (no response)"
        detail = " ".join(redact(str(cause)).split())[:200]
        return f"connection error ({type(cause).__name__}{': ' + detail if detail else ''})"
    message = " ".join(redact(str(getattr(exc, "message", exc))).split())
    return message[:400]
