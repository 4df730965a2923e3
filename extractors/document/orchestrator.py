"""One document end to end: identify, skip what is done, lay out, then its unit's rows."""

import asyncio
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from extractors.discover.local_walk import FoundInput, RefusedInput
from extractors.discover.storage import displayed_location, local_copy
from extractors.document.unit import DocumentOutcome, OutputUnit, RowSink
from extractors.errors import SourceError
from extractors.load.identify import (
    UnreadSourceError,
    hash_or_blank,
    identify,
    source_without_format,
)
from extractors.load.rasteriser import Rasteriser
from extractors.progress import ProgressListener
from extractors.records import SourceFile
from schemas import ErrorCategory


@dataclass(frozen=True)
class DocumentOrchestrator:
    """Turns one input into its rows, asking the endpoint only for what is not done yet.

    What a document becomes (a row per page, or one row per document of merged chunks) is
    the `unit` it is given; the opening, the resume check and file-level failures are here.
    """

    unit: OutputUnit
    rasteriser: Rasteriser
    progress: ProgressListener
    redact: Callable[[str], str]

    async def extract(self, location: FoundInput, sink: RowSink) -> DocumentOutcome:
        """One input; a remote one is read from a local copy kept while it is extracted (and a
        local one whose name is not UTF-8 through a link that is)."""
        if isinstance(location, RefusedInput):
            return self.unreadable(location.location, location.reason)
        with ExitStack() as stack:
            try:
                path = await asyncio.to_thread(stack.enter_context, local_copy(location))
            except OSError as exc:
                return self.unreadable(location, f"cannot fetch file: {exc}")
            shown = displayed_location(location) if path != Path(location) else None
            return await self.extract_file(path, sink, shown)

    async def extract_file(
        self, path: Path, sink: RowSink, location: str | None = None
    ) -> DocumentOutcome:
        """One local file's outcome; `location` is its URL when `path` is a local copy."""
        try:
            source = await asyncio.to_thread(identify, path, location)
        except UnreadSourceError as exc:
            return self._failed(exc.source, str(exc), ErrorCategory.SOURCE)
        resumed = await self.unit.resume(source)
        if resumed is not None:
            return resumed
        try:
            layout = await self.rasteriser.layout(source)
        except SourceError as exc:
            return self._failed(source, str(exc), ErrorCategory.SOURCE)
        try:
            return await self.unit.extract(layout, sink)
        finally:
            await self.rasteriser.release(source)

    def internal_error(self, location: str, exc: Exception) -> DocumentOutcome:
        """A file-level error row for an unexpected failure (a bug), so the file is not lost."""
        message = self.redact(f"internal error: {type(exc).__name__}: {exc}")
        shown = displayed_location(str(location))
        source = source_without_format(shown, hash_or_blank(Path(location)))
        return self._failed(source, message, ErrorCategory.INTERNAL)

    def unreadable(self, location: str, message: str) -> DocumentOutcome:
        """A file-level error row for an input that could not even be fetched."""
        shown = displayed_location(location)
        return self._failed(source_without_format(shown, ""), message, ErrorCategory.SOURCE)

    def _failed(self, source: SourceFile, message: str, category: ErrorCategory) -> DocumentOutcome:
        self.progress.pages_planned(1)
        self.progress.pages_finished(0, 1)
        return DocumentOutcome([self.unit.file_error(source, message, category)])
