"""Blanking the API key out of text, in every encoding of it that is cheap to recognise.

Endpoints echo what they were sent in their error bodies, and not always as sent: the key
URL-encoded, case-folded, or inside the base64 of a Basic-auth header (`user:key`, `:key`).
"""

import base64
import re

MASK = "***"
# Characters of standard and URL-safe base64.
_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
# Fewer stable base64 characters than this could match by chance in ordinary text.
_SHORTEST_BASE64 = 8


class KeyRedactor:
    """Replaces the key with `***`: as itself in any case, percent-encoded (quote, quote_plus,
    either hex case), JSON-escaped, and inside base64 of anything that contains it."""

    def __init__(self, key: str) -> None:
        self._spelt = re.compile(_spelt(key), re.IGNORECASE) if key else None
        inner = {run for variant in {key, key.lower(), key.upper()} for run in base64_runs(variant)}
        self._runs = tuple(sorted(run for run in inner if len(run) >= _SHORTEST_BASE64))

    def __call__(self, text: str) -> str:
        if self._spelt is not None:
            text = self._spelt.sub(MASK, text)
        for run in self._runs:
            text = _blank_base64_holding(text, run)
        return text


def _spelt(key: str) -> str:
    return "".join(_any_spelling(char) for char in key)


def _blank_base64_holding(text: str, run: str) -> str:
    """`text` with every base64 run that holds `run` blanked whole (the rest of it is the
    user name of a Basic-auth header). Found with `str.find` and widened over base64
    characters: a regex with a leading `[...]*` backtracks quadratically on long base64 text
    (110 s on an 80 kB run)."""
    pieces, done, start = [], 0, text.find(run)
    while start != -1:
        left, right = start, start + len(run)
        while left > done and text[left - 1] in _BASE64_CHARS:
            left -= 1
        while right < len(text) and text[right] in _BASE64_CHARS:
            right += 1
        while right < len(text) and text[right] == "=":
            right += 1
        pieces += [text[done:left], MASK]
        done = right
        start = text.find(run, done)
    pieces.append(text[done:])
    return "".join(pieces)


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


def base64_runs(key: str) -> list[str]:
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
