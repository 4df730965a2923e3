"""The report's frozen records: a RunReport of DatasetReports and the figures they hold."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from extractors.report.frames import DatasetKind
from extractors.report.pricing import Price
from extractors.report.savings_records import Savings
from schemas.trust import Citation


@dataclass(frozen=True)
class StatusCount:
    """Standing outcomes of one status.

    In a page dataset `documents` counts the documents with at least one such page, so a
    document with ok and failed pages counts under both statuses.
    """

    status: str
    documents: int
    pages: int


@dataclass(frozen=True)
class ErrorExample:
    """One failure as its row states it (page None: a whole file, or a document row)."""

    source: str
    page: int | None
    error: str


@dataclass(frozen=True)
class ErrorGroup:
    """Standing failures of one category: pages (page dataset) or documents, and examples.

    Errors are grouped by category and reason (`error_reasons.error_reason`), each with one
    example; warnings by kind, with no reason.
    """

    category: str
    count: int
    examples: tuple[ErrorExample, ...]
    reason: str | None = None


@dataclass(frozen=True)
class UsageLine:
    """Tokens a provider and model consumed, and what they cost if a price is known."""

    provider: str
    model: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    # Rows of answered requests whose endpoint reported no usage: the tokens are a lower bound.
    without_usage: int
    price: Price | None
    # Answered through a batch API: `price` is the batch price.
    batch: bool = False

    @property
    def tokenless(self) -> bool:
        """Requests answered and not one token reported: an engine that counts none (the
        embedded OCR engine), not an endpoint that forgot some."""
        return self.without_usage > 0 and self.prompt_tokens == 0 and self.completion_tokens == 0

    @property
    def label(self) -> str:
        return f"{self.provider} / {self.model}" + (" (batch)" if self.batch else "")

    @property
    def cost(self) -> float | None:
        """None when no price is known: an unknown cost is never shown as 0."""
        if self.price is None:
            return None
        return self.price.cost(self.prompt_tokens, self.completion_tokens)


@dataclass(frozen=True)
class HistogramBin:
    """Latencies in [low_ms, high_ms) (the last bin includes its high edge)."""

    low_ms: float
    high_ms: float
    count: int


@dataclass(frozen=True)
class LatencySummary:
    """Latency percentiles (linear interpolation) and histogram, None without requests.

    The unit is a request in a page dataset; in a document dataset, a document's requests
    summed, the only latency its rows keep.
    """

    unit: Literal["request", "document"]
    count: int
    p50_ms: float | None
    p95_ms: float | None
    histogram: tuple[HistogramBin, ...]


@dataclass(frozen=True)
class MinuteCount:
    """Pages finished (rows written, ok or not) in one minute, UTC."""

    minute: datetime
    pages: int


@dataclass(frozen=True)
class RunSpan:
    """What one run wrote to the dataset, and between which times."""

    run_id: str
    started: datetime
    finished: datetime
    pages: int


@dataclass(frozen=True)
class TrustSummary:
    """How far the standing ok rows can be trusted.

    A row to check has a warning or a confidence under `threshold`; rows written before
    confidence existed have none (`unmeasured`) and are flagged by their warnings alone.
    """

    threshold: float
    ok_rows: int
    clean: int
    with_warnings: int
    low_confidence: int
    unmeasured: int
    to_check: int
    documents_to_check: int
    mean: float | None
    median: float | None
    # Ten bins of 0.1 over [0, 1]; empty when no row has a confidence.
    histogram: tuple[HistogramBin, ...]


@dataclass(frozen=True)
class RowToCheck:
    """One ok row to check, with what it holds: its text's start, or its fields and where
    they were read (`citations`, boxes as shares of the page)."""

    source: str
    source_sha256: str
    source_format: str
    # The page of a page row; a document row's pages.
    pages: tuple[int, ...]
    confidence: float | None
    warnings: tuple[str, ...]
    text: str | None
    fields: tuple[tuple[str, str], ...]
    citations: tuple[Citation, ...]
    # Clockwise degrees the page was turned upright before it was read (scans, photos).
    rotation: int | None


@dataclass(frozen=True)
class DocumentToCheck:
    """A document's rows to check: how many it has, and the first ones kept for display."""

    source: str
    rows: int
    lowest_confidence: float | None
    shown: tuple[RowToCheck, ...]


@dataclass(frozen=True)
class DocumentLine:
    """One document: its standing rows (pages of a page dataset, or its one document row) and
    what its requests took; tokens None when the endpoint reported none (the embedded engine)."""

    source: str
    pages: int
    ok: int
    errors: int
    warnings: int
    tokens: int | None
    # None when unknown: no price, several currencies, or no tokens to price.
    cost: float | None
    currency: str | None
    self_hosted: bool
    latency_ms: float | None


@dataclass(frozen=True)
class DatasetReport:
    """The report of one dataset, `DIR/pages/` or `DIR/<schema>/`, read from its part files.

    Two views of the rows are used, and each figure says which:
    - outcomes (statuses, errors) count the row that stands for each page (document): the
      newest, by the rule compaction applies, so a page that failed and then succeeded on
      resume is ok once;
    - work (tokens, cost, latency, throughput, runs) counts every row written, but a request's
      tokens and latency once, however many rows repeat them (pages of one request, copies of
      identical files found at another path).
    """

    name: str
    kind: DatasetKind
    part_files: int
    stored_rows: int
    superseded_rows: int
    documents: int
    pages: int
    statuses: tuple[StatusCount, ...]
    errors: tuple[ErrorGroup, ...]
    # Ok rows that say something is odd, grouped by the kind of warning (`hidden text left
    # out`, `total: not found on the page`); each example's `error` is a warning as written.
    warnings: tuple[ErrorGroup, ...]
    usage: tuple[UsageLine, ...]
    latency: LatencySummary
    throughput: tuple[MinuteCount, ...]
    runs: tuple[RunSpan, ...]
    pages_finished: int
    first_at: datetime
    last_at: datetime
    trust: TrustSummary | None = None
    # Worst first: by the lowest confidence of their rows, then by source.
    to_check: tuple[DocumentToCheck, ...] = ()
    # Every document, those with errors first, then those with warnings.
    documents_table: tuple[DocumentLine, ...] = ()
    # Pages answered without a request (page datasets only; None for document datasets).
    savings: Savings | None = None

    @property
    def wall_seconds(self) -> float:
        """From the first row written to the last."""
        return (self.last_at - self.first_at).total_seconds()

    @property
    def pages_per_minute(self) -> float | None:
        """Pages finished per minute over the wall span; None when it spans no time."""
        if self.wall_seconds <= 0:
            return None
        return self.pages_finished / (self.wall_seconds / 60)

    def status_pages(self, status: str) -> int:
        """Standing pages of that status (0 when none)."""
        return next((s.pages for s in self.statuses if s.status == status), 0)


@dataclass(frozen=True)
class RunReport:
    """The report of an output directory: one entry per dataset with part files."""

    out_dir: Path
    datasets: tuple[DatasetReport, ...]

    def costs_by_currency(self) -> dict[str, float]:
        """Known costs summed per currency."""
        totals: dict[str, float] = {}
        for line in (line for dataset in self.datasets for line in dataset.usage):
            if line.price is not None and line.cost is not None:
                totals[line.price.currency] = totals.get(line.price.currency, 0.0) + line.cost
        return totals

    def unpriced(self) -> tuple[tuple[str, str], ...]:
        """(provider, model) pairs whose cost is unknown."""
        pairs = {(u.provider, u.model) for d in self.datasets for u in d.usage if u.price is None}
        return tuple(sorted(pairs))
