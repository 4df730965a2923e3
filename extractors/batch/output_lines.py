"""The lines of a batch output file, read in bounded pieces: a line longer than the answer
cap is never held (only its head is kept, to name its request), whatever the file's size."""

import json
import re
from collections.abc import AsyncIterator, Container, Iterator
from dataclasses import dataclass
from pathlib import Path

# Enough of a line to find its custom_id, which providers write before the answer.
HEAD_BYTES = 4096
# Bytes read from disk (or the network) at a time.
READ_BYTES = 1 << 20
_CUSTOM_ID = re.compile(r'"custom_id"\s*:\s*"((?:[^"\\]|\\.){1,512})"')


@dataclass(frozen=True)
class OutputLine:
    """One line of an output file; `text` is None when it was longer than the cap."""

    number: int
    text: str | None
    head: str
    size: int
    # False for a last line with no newline after it: a file cut short, or written so.
    ended: bool

    def custom_id(self) -> str | None:
        """The request the line answers, from its head (the line need not be whole)."""
        found = _CUSTOM_ID.search(self.head)
        if found is not None:
            value = json.loads(f'"{found.group(1)}"')
            return str(value)
        if self.text is None:
            return None
        try:
            line = json.loads(self.text)
        except json.JSONDecodeError:
            return None
        custom_id = line.get("custom_id") if isinstance(line, dict) else None
        return str(custom_id) if custom_id is not None else None


class LineSplitter:
    """Cuts a stream of byte pieces into lines, dropping the body of any line over `cap`."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._parts: list[bytes] = []
        self._head = b""
        self._size = 0
        self._number = 0

    def feed(self, piece: bytes) -> Iterator[OutputLine]:
        start = 0
        while (end := piece.find(b"\n", start)) >= 0:
            self._take(piece[start:end])
            yield from self._emit(ended=True)
            start = end + 1
        self._take(piece[start:])

    def end(self) -> Iterator[OutputLine]:
        """The last line, when the stream did not end with a newline."""
        if self._size:
            yield from self._emit(ended=False)

    def _take(self, part: bytes) -> None:
        if not part:
            return
        if len(self._head) < HEAD_BYTES:
            self._head += part[: HEAD_BYTES - len(self._head)]
        self._size += len(part)
        if self._size <= self.cap:
            self._parts.append(part)
        else:
            self._parts.clear()  # over the cap: its body is not kept

    def _emit(self, ended: bool) -> Iterator[OutputLine]:
        self._number += 1
        size, head, parts = self._size, self._head, self._parts
        self._parts, self._head, self._size = [], b"", 0
        if not head.strip():
            return
        text = b"".join(parts).decode("utf-8", "replace") if size <= self.cap else None
        yield OutputLine(self._number, text, head.decode("utf-8", "replace"), size, ended)


async def file_lines(path: Path, cap: int) -> AsyncIterator[OutputLine]:
    """A local file's lines, read a megabyte at a time."""
    splitter = LineSplitter(cap)
    with path.open("rb") as handle:
        while piece := handle.read(READ_BYTES):
            for line in splitter.feed(piece):
                yield line
    for line in splitter.end():
        yield line


async def stream_lines(pieces: AsyncIterator[bytes], cap: int) -> AsyncIterator[OutputLine]:
    """The lines of a stream of byte pieces (a download, an object in storage)."""
    splitter = LineSplitter(cap)
    async for piece in pieces:
        for line in splitter.feed(piece):
            yield line
    for line in splitter.end():
        yield line


async def holds_any(lines: AsyncIterator[OutputLine], custom_ids: Container[str]) -> bool:
    """Whether any line answers one of `custom_ids` (read only until the first that does)."""
    async for line in lines:
        if line.custom_id() in custom_ids:
            return True
    return False
