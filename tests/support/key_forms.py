"""The encodings of an API key that endpoints have been seen to echo back in error bodies."""

import base64
from urllib.parse import quote, quote_plus


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def echoed_forms(key: str) -> dict[str, str]:
    """Each form by name: as sent, case-folded, URL-encoded, and base64 of Basic-auth pairs."""
    return {
        "exact": key,
        "upper": key.upper(),
        "lower": key.lower(),
        "quote": quote(key, safe=""),
        "quote_plus": quote_plus(key),
        "every dash encoded": key.replace("-", "%2D"),
        "every dash encoded, lower hex": key.replace("-", "%2d"),
        "base64 of key": _b64(key),
        "base64 of :key": _b64(f":{key}"),
        "base64 of key:": _b64(f"{key}:"),
        "base64 of user:key": _b64(f"redteam:{key}"),
        "base64 of a longer user:key": _b64(f"visionbatch-user:{key}"),
        "url-safe base64 of user:key": base64.urlsafe_b64encode(f"ab:{key}".encode()).decode(),
    }


def forms_found(key: str, text: str | bytes) -> list[str]:
    """Names of the forms of `key` that `text` holds (none, if it was redacted)."""
    data = text.encode() if isinstance(text, str) else text
    return [name for name, form in echoed_forms(key).items() if form.encode() in data]
