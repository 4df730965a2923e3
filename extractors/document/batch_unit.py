"""Planning a batch: the same chunks and request bodies as an online run, written as batch
lines instead of sent; a page whose image a line already carries is not written again."""

from extractors.batch.copies import LinedImages
from extractors.batch.files import BatchFileWriter
from extractors.document.page_chunks import PageChunk, answer_room
from extractors.document.page_rows import PageRowBuilder
from extractors.document.page_unit import PageRowsUnit
from extractors.document.unit import RowSink, UnitServices
from extractors.document.unsent_rows import unsent_rows
from extractors.endpoint.pool import PayloadSlot
from extractors.records import DocumentLayout, PreparedRequest
from extractors.sink.ledger import Ledger


class BatchPlanUnit(PageRowsUnit):
    """A page unit whose chunks become lines of a batch file: pages already ok are skipped
    and chunks are planned exactly as online; only pages that fail to render get rows now.
    Unless `--keep-duplicates`, a page identical to one already in a line is recorded as its
    copy (`extractors/batch/copies.py`) and gets that page's row at ingest."""

    def __init__(
        self,
        services: UnitServices,
        rows: PageRowBuilder,
        ledger: Ledger,
        lines: BatchFileWriter,
    ) -> None:
        super().__init__(services, rows, ledger)
        self.lines = lines
        self.lined = None if services.options.keep_duplicates else LinedImages()
        self.pages_in_lines = 0
        self.pages_copied = 0

    def _pages_per_request(self) -> int:
        # No answer comes back to pace by, and batch lines cost no slot: as full as they fit.
        return self.sender.budget.images_per_request

    async def _run_chunk(
        self,
        layout: DocumentLayout,
        sink: RowSink,
        chunk: PageChunk,
        held: PayloadSlot | None = None,
    ) -> None:
        room = answer_room(self.sender.budget, len(chunk.plan.pages))
        drawn = self.sender.rendered(layout.source, chunk.plan, room, held=held)
        async with drawn as rendered:
            unsent = unsent_rows(self.rows, layout, rendered)
            if rendered.request is not None:
                self._write(rendered.request, layout.page_count)
        self._finished(sink, unsent)

    def _write(self, request: PreparedRequest, page_count: int) -> None:
        """The request as a line (its pages already in a line taken out, as copies of them).
        Nothing awaits here: a page is noted as lined only with its line written."""
        if self.lined is not None:
            sorted_request = self.lined.sort(request, page_count)
            fewer, copies = sorted_request.request, sorted_request.copies
        else:
            fewer, copies = request, ()
        if fewer is not None:
            self.lines.add(fewer, page_count)
            self.pages_in_lines += len(fewer.images)
        for copy in copies:
            self.lines.add_copy(copy)
        self.pages_copied += len(copies)
