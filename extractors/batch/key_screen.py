"""The API key blanked out of batch output lines, at the speed of a substring search.

`KeyRedactor` tries its base64 patterns at every offset of a run of base64 characters: on
the megabytes of a batch answer that is quadratic (110 s for one 80 kB run, measured). A line
can hold a form of the key only if it holds one of a few plain strings, found in linear time;
the redactor runs only on the lines that do.
"""

import re

from extractors.endpoint.redaction import KeyRedactor, base64_runs

# Shorter runs of the key's letters and digits could be found in ordinary text by chance.
_SHORTEST_ANCHOR = 4
_SHORTEST_BASE64 = 8  # as KeyRedactor: shorter base64 runs are not looked for
# A JSON escape of an ASCII character: encoders write these only for control characters, so
# one of a letter or digit is rare (and looked at closely).
_ASCII_ESCAPE = re.compile(r"\\u00[0-7][0-9a-fA-F]")


class ScreenedRedactor:
    """KeyRedactor on the texts that can hold the key in any form it recognises."""

    def __init__(self, key: str) -> None:
        self._redact = KeyRedactor(key)
        self._active = bool(key)
        # Percent-encoding and case-folding leave a key's letters and digits as they are
        # (but for case); a JSON `\u` escape of every character is looked for separately.
        segments = re.findall(r"[A-Za-z0-9]+", key)
        longest = max(segments, key=len, default="")
        self._anchor = longest.lower() if len(longest) >= _SHORTEST_ANCHOR else ""
        runs = {run for v in {key, key.lower(), key.upper()} for run in base64_runs(v)}
        self._runs = tuple(run for run in runs if len(run) >= _SHORTEST_BASE64)

    def __call__(self, text: str) -> str:
        return self._redact(text) if self.may_hold(text) else text

    def may_hold(self, text: str) -> bool:
        """False only when no form of the key the redactor knows can be in `text`."""
        if not self._active:
            return False
        if not self._anchor or self._anchor in text.lower() or _ASCII_ESCAPE.search(text):
            return True
        return any(run in text for run in self._runs)
