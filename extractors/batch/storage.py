"""Scaleway's batch files: the input goes to Object Storage (`--batch-bucket`), the batch is
created with a pre-signed URL of it, and its results are written beside it."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import fsspec

# A pre-signed URL must outlive the batch's 24 h window, with room for its queue.
SIGNED_FOR_SECONDS = 7 * 24 * 3600
# Scaleway's docs name the results `{name}-output.jsonl` (2026-02) and `{name}_output.jsonl`
# (a later revision): whichever exists is read.
_RESULT_NAMES = (("-output", "_output"), ("-error", "_error"))
_READ_BYTES = 1 << 20


class ObjectStorageFiles:
    """Batch files under an fsspec prefix (`s3://bucket/prefix` through s3fs)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix.rstrip("/")

    @property
    def _fs(self) -> Any:
        fs, _ = fsspec.core.url_to_fs(self.prefix)
        return fs

    def object_url(self, name: str) -> str:
        return f"{self.prefix}/{name}.jsonl"

    async def put(self, local: Path, name: str) -> str:
        """Upload the input file; its object's URL."""
        url = self.object_url(name)
        await asyncio.to_thread(self._fs.put_file, str(local), url)
        return url

    async def signed(self, url: str) -> str:
        """A pre-signed URL of the object (what the batch is created from); made when it is
        needed, never recorded: it lets anyone read the object for days."""
        signed: str = await asyncio.to_thread(self._fs.sign, url, SIGNED_FOR_SECONDS)
        return signed

    def results(self, name: str) -> list[tuple[str, AsyncIterator[bytes]]]:
        """The output and error files written beside the input, as streams of byte pieces."""
        base = f"{self.prefix}/{name}"
        fs = self._fs
        found = []
        for spellings in _RESULT_NAMES:
            urls = [f"{base}{suffix}.jsonl" for suffix in spellings]
            existing = next((url for url in urls if fs.exists(url)), None)
            if existing is not None:
                found.append((existing, self._pieces(existing)))
        return found

    async def _pieces(self, url: str) -> AsyncIterator[bytes]:
        """An object's bytes, a megabyte at a time on a thread (never held whole)."""
        handle = await asyncio.to_thread(self._fs.open, url, "rb")
        try:
            while piece := await asyncio.to_thread(handle.read, _READ_BYTES):
                yield piece
        finally:
            handle.close()
