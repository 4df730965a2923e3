"""An error's reason: its message with what differs from one row to the next left out."""

import re

# Addresses, quoted names and figures differ per row; "HTTP 500" and "HTTP 429" are reasons.
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:,;)]+", re.IGNORECASE)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"(?<!HTTP )(?<![\w.])\d+(?:[.,]\d+)*")


# A message longer than this is cut: a quoted answer or a server's body is no reason.
REASON_LENGTH = 100


def error_reason(error: str) -> str:
    """The message as a reason: "no JSON in answer 4" and "... answer 2" are one reason."""
    reason = _NUMBER.sub("N", _QUOTED.sub("'…'", _URL.sub("URL", error.strip())))
    reason = " ".join(reason.split())
    if len(reason) > REASON_LENGTH:
        reason = reason[: REASON_LENGTH - 1].rstrip() + "…"
    return reason or "no message"
