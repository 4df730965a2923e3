"""Extra HTTP headers sent with every request (`--header`, VISIONBATCH_HEADERS, presets).

Gateways take their keys and settings in headers (Portkey's `x-portkey-api-key`, Azure API
Management's `Ocp-Apim-Subscription-Key`, LiteLLM's `x-litellm-timeout`): a header whose name
looks like a credential is treated as the API key is, blanked from anything logged or stored.
"""

import re

# An HTTP field name (RFC 9110 token).
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# Names that say a credential: authorization, api-key, x-api-key, *token*, *secret*... Judged by
# the name's words, so that `x-portkey-provider` (a provider's name) is not taken for a key.
_SECRET_WORD = re.compile(
    r"auth|authorization|(api|access|secret|subscription)?key|cookie|signature|credentials?"
)
_SECRET_PART = re.compile(r"token|secret|passw")
# Set by the client itself: another value would break the request or its accounting.
_RESERVED = frozenset({"content-length", "content-type", "host", "transfer-encoding"})

Headers = tuple[tuple[str, str], ...]


def parse_header(item: str) -> tuple[str, str]:
    """`NAME=VALUE` (or `NAME: VALUE`, as curl takes it) as a pair; ValueError saying why not."""
    name, sep, value = _split(item)
    name, value = name.strip(), value.strip()
    if not sep or not name:
        # Not echoed: a value given without its name may be a credential.
        raise ValueError("a header is not NAME=VALUE (nor NAME: VALUE)")
    if not _TOKEN.match(name):
        raise ValueError(f"header name {name!r} is not a valid HTTP header name")
    if name.lower() in _RESERVED:
        raise ValueError(f"header {name} is set by visionbatch itself")
    if any(ch in value for ch in "\r\n\0"):
        raise ValueError(f"header {name}: its value holds a line break")
    return name, value


def merged(*layers: Headers) -> Headers:
    """Headers of several sources, a later one replacing an earlier of the same name (any case)."""
    kept: dict[str, tuple[str, str]] = {}
    for layer in layers:
        for name, value in layer:
            kept[name.lower()] = (name, value)
    return tuple(kept.values())


def is_secret(name: str) -> bool:
    """Whether a header's name says its value is a credential (never logged, never stored)."""
    words = re.split(r"[-_.]", name.lower())
    return any(_SECRET_WORD.fullmatch(word) or _SECRET_PART.search(word) for word in words)


def secret_values(headers: Headers) -> tuple[str, ...]:
    """The values to blank from text that may be logged or stored."""
    return tuple(value for name, value in headers if value and is_secret(name))


def _split(item: str) -> tuple[str, str, str]:
    equals, colon = item.find("="), item.find(":")
    if colon != -1 and (equals == -1 or colon < equals):
        return item.partition(":")
    return item.partition("=")
