"""One document end to end: identify, skip what is done, lay out, then its unit's rows."""

import asyncio
import copy
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from extractors.discover.local_walk import FoundInput, PageSlice, RefusedInput
from extractors.discover.storage import displayed_location, local_copy
from extractors.document.page_unit import PageRowsUnit
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
from extractors.sink.parts import Record
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
    # A long document's slice (on Dask): only its pages are asked for, and fail.
    part: PageSlice | None = None

    async def extract(self, location: FoundInput, sink: RowSink) -> DocumentOutcome:
        """One input; a remote one is read from a local copy kept while it is extracted (and a
        local one whose name is not UTF-8 through a link that is)."""
        if isinstance(location, RefusedInput):
            return self.unreadable(location.location, location.reason)
        if isinstance(location, PageSlice):
            return await self.sliced(location).extract(location.location, sink)
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

    def sliced(self, part: PageSlice) -> "DocumentOrchestrator":
        """The orchestrator of one slice of a document: its pages only are asked for, resumed
        and, when the document cannot be read, made error rows."""
        return replace(self, unit=slice_unit(self.unit, part), part=part)

    def internal_error(self, location: FoundInput, exc: Exception) -> DocumentOutcome:
        """A file-level error row for an unexpected failure (a bug), so the file is not lost;
        a slice's are the rows of its pages."""
        if isinstance(location, PageSlice):
            return self.sliced(location).internal_error(location.location, exc)
        if isinstance(location, RefusedInput):
            location = location.location
        message = self.redact(f"internal error: {type(exc).__name__}: {exc}")
        shown = displayed_location(str(location))
        source = source_without_format(shown, hash_or_blank(Path(location)))
        return self._failed(source, message, ErrorCategory.INTERNAL)

    def unreadable(self, location: str, message: str) -> DocumentOutcome:
        """A file-level error row for an input that could not even be fetched."""
        shown = displayed_location(location)
        return self._failed(source_without_format(shown, ""), message, ErrorCategory.SOURCE)

    def _failed(self, source: SourceFile, message: str, category: ErrorCategory) -> DocumentOutcome:
        rows = self._failure_rows(source, message, category)
        self.progress.pages_planned(len(rows))
        self.progress.pages_finished(0, len(rows))
        return DocumentOutcome(rows)

    def _failure_rows(
        self, source: SourceFile, message: str, category: ErrorCategory
    ) -> Sequence[Record]:
        """One row for the file; for a slice, a row per page of it (the document's other
        slices may well be read), as the page rows of the whole document would be."""
        unit, part = self.unit, self.part
        if part is None or not isinstance(unit, PageRowsUnit):
            return [unit.file_error(source, message, category)]
        pages = part.pages.of(part.page_count)
        return [unit.rows.error_row(source, n, part.page_count, message, category) for n in pages]


def slice_unit(unit: OutputUnit, part: PageSlice) -> PageRowsUnit:
    """The page unit asking, resuming and writing rows for a slice's pages only. Only per-page
    schemas are sliced: a document schema's answer needs the whole document."""
    if not isinstance(unit, PageRowsUnit):
        raise TypeError(f"{type(unit).__name__} extracts whole documents, not page slices")
    sliced = copy.copy(unit)  # the same sender, ledger and row builder
    sliced.options = replace(unit.options, pages=part.pages)  # its pages, of `--pages`
    return sliced
