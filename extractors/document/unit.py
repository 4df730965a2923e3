"""The unit of output a document orchestrator is given: a row per page, or one per document."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from extractors.document.chunk_sender import ChunkSender
from extractors.document.extraction_options import ExtractionOptions
from extractors.progress import ProgressListener
from extractors.records import DocumentLayout, SourceFile
from extractors.sink.parts import Record
from schemas import ErrorCategory


@dataclass(frozen=True)
class UnitServices:
    """What every unit of output works with: the run's options, the sender, the progress."""

    options: ExtractionOptions
    sender: ChunkSender
    progress: ProgressListener


class UnitBase:
    """What both units keep of their services."""

    def __init__(self, services: UnitServices) -> None:
        self.options = services.options
        self.sender = services.sender
        self.progress = services.progress


class RowSink(Protocol):
    """Where a document's rows go as they are made (its shard's part writer, counted)."""

    def add(self, rows: Sequence[Record]) -> None: ...


@dataclass
class DocumentOutcome:
    """The rows one document adds to DIR at its end, and how many of its pages were done.

    A unit may have given rows to its sink before (a row per page goes as its chunk
    finishes, so that a killed run keeps them): those are not repeated here.
    """

    rows: Sequence[Record]
    # Pages already ok in DIR (a document schema counts a finished document as one).
    skipped_pages: int = 0


class OutputUnit(Protocol):
    """What a document becomes: how its rows are made, resumed and stored."""

    async def resume(self, source: SourceFile) -> DocumentOutcome | None:
        """The outcome from what DIR already holds when nothing is left to ask, else None."""
        ...

    async def extract(self, layout: DocumentLayout, sink: RowSink) -> DocumentOutcome:
        """The rows of a readable document, asking the endpoint for what is not done."""
        ...

    def file_error(self, source: SourceFile, message: str, category: ErrorCategory) -> Record:
        """The row of a file that failed before its pages were known."""
        ...
