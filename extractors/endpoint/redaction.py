"""Blanking the API key out of text, in every encoding of it that is cheap to recognise.

Endpoints echo what they were sent in their error bodies, and not always as sent: the key
URL-encoded, case-folded, or inside the base64 of a Basic-auth header (`user:key`, `:key`).
"""

import base64
import re

MASK = "***"
# Characters of standard and URL-safe base64.
_BASE64_RUN = "[A-Za-z0-9+/_-]*"
# Fewer stable base64 characters than this could match by chance in ordinary text.
_SHORTEST_BASE64 = 8


class KeyRedactor:
    """Replaces the key with `***`: as itself in any case, percent-encoded (quote, quote_plus,
    either hex case), JSON-escaped, and inside base64 of anything that contains it."""

    def __init__(self, key: str) -> None:
        self._patterns = _patterns(key) if key else ()

    def __call__(self, text: str) -> str:
        for pattern in self._patterns:
            text = pattern.sub(MASK, text)
        return text


def _patterns(key: str) -> tuple[re.Pattern[str], ...]:
    spelt = "".join(_any_spelling(char) for char in key)
    found = [re.compile(spelt, re.IGNORECASE)]
    inner = {run for variant in {key, key.lower(), key.upper()} for run in _base64_runs(variant)}
    # A base64 run holding the key is blanked whole: the rest of it is the user name.
    found += [
        re.compile(f"{_BASE64_RUN}{re.escape(run)}{_BASE64_RUN}=*")
        for run in sorted(inner)
        if len(run) >= _SHORTEST_BASE64
    ]
    return tuple(found)


def _any_spelling(char: str) -> str:
    """A character as itself or percent-encoded (every byte of its UTF-8), or `+` for a
    space (quote_plus), or a JSON `\\uXXXX` escape."""
    encoded = "".join(f"%{byte:02X}" for byte in char.encode())
    options = [re.escape(char), re.escape(encoded)]
    if char == " ":
        options.append(r"\+")
    if ord(char) < 0x10000:
        options.append(re.escape(f"\\u{ord(char):04x}"))
    return f"(?:{'|'.join(options)})"


def _base64_runs(key: str) -> list[str]:
    """The base64 characters that encode only bytes of the key, at each of the three
    alignments it can have after a prefix (`user:`), standard and URL-safe."""
    data = key.encode()
    runs = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode()
        start = 4 if offset else 0  # the first group mixes prefix and key bytes
        end = (offset + len(data)) // 3 * 4  # the last partial group depends on what follows
        run = encoded[start:end]
        runs += [run, run.replace("+", "-").replace("/", "_")]
    return runs
