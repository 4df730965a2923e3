"""The report as titled tables of text, one layout shared by the terminal and the HTML page."""

from dataclasses import dataclass
from datetime import datetime

from extractors.endpoint.providers import LOCAL
from extractors.report.pricing import Price
from extractors.report.run_report import (
    DatasetReport,
    DocumentLine,
    DocumentToCheck,
    RowToCheck,
    RunReport,
    UsageLine,
)


@dataclass(frozen=True)
class TextTable:
    """A titled table of display strings; `numeric` names the columns aligned right."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[str] = frozenset()
    note: str | None = None


def overview_table(report: RunReport) -> TextTable:
    """One line per dataset: its unit, and the standing outcomes of its pages."""
    columns = ("dataset", "unit", "documents", "pages", "ok", "error", "superseded rows")
    rows = tuple(
        (
            d.name,
            "page" if d.kind == "pages" else "document",
            f"{d.documents:,}",
            f"{d.pages:,}",
            f"{d.status_pages('ok'):,}",
            f"{d.status_pages('error'):,}",
            f"{d.superseded_rows:,}",
        )
        for d in report.datasets
    )
    return TextTable("datasets", columns, rows, frozenset(columns[2:]))


def timing_table(report: RunReport) -> TextTable:
    """Wall span, throughput and latency percentiles per dataset (first and last rows: runs)."""
    columns = ("dataset", "wall span", "pages/min", "latency of", "measured", "p50 ms", "p95 ms")
    rows = tuple(
        (
            d.name,
            duration(d.wall_seconds),
            _optional(d.pages_per_minute, "{:,.1f}"),
            "a request" if d.latency.unit == "request" else "a document",
            f"{d.latency.count:,}",
            _optional(d.latency.p50_ms, "{:,.0f}"),
            _optional(d.latency.p95_ms, "{:,.0f}"),
        )
        for d in report.datasets
    )
    note = (
        "A document's latency is its requests' wall time summed."
        if any(d.kind == "documents" for d in report.datasets)
        else None
    )
    return TextTable("timing", columns, rows, frozenset(("pages/min", *columns[-3:])), note)


def status_table(dataset: DatasetReport) -> TextTable:
    """Standing outcomes by status."""
    rows = tuple((s.status, f"{s.documents:,}", f"{s.pages:,}") for s in dataset.statuses)
    note = (
        "A document with ok and failed pages counts under both statuses."
        if dataset.kind == "pages"
        else None
    )
    columns = ("status", "documents", "pages")
    return TextTable(f"{dataset.name}: status", columns, rows, frozenset(columns[1:]), note)


def errors_table(dataset: DatasetReport) -> TextTable:
    """Standing failures by category and reason: every reason, its count and one example."""
    unit = "pages" if dataset.kind == "pages" else "documents"
    rows = tuple(
        (
            group.category,
            group.reason or "-",
            f"{group.count:,}",
            example.source,
            _page(example.page),
            example.error or "-",
        )
        for group in dataset.errors
        for example in group.examples[:1]
    )
    columns = ("category", "reason", unit, "example source", "page", "example error")
    note = "A reason is the error with its figures, addresses and quoted names left out."
    return TextTable(f"{dataset.name}: errors", columns, rows, frozenset((unit, "page")), note)


def documents_table(dataset: DatasetReport, limit: int | None = None) -> TextTable:
    """One line per document, those with errors first; the first `limit` when given."""
    shown = dataset.documents_table[:limit]
    rows = tuple(
        (
            line.source,
            f"{line.pages:,}",
            f"{line.ok:,}",
            f"{line.errors:,}",
            f"{line.warnings:,}",
            _optional(line.tokens, "{:,}"),
            _document_cost(line),
            _optional(None if line.latency_ms is None else line.latency_ms / 1000, "{:,.1f}"),
        )
        for line in shown
    )
    columns = ("source", "pages", "ok", "errors", "warnings", "tokens", "est. cost", "latency s")
    rows_are = "pages" if dataset.kind == "pages" else "its document row"
    notes = [
        f"ok and errors count the standing rows ({rows_are}); warnings, those of its ok rows; "
        "latency, its requests' wall time summed; tokens - when none were reported."
    ]
    hidden = len(dataset.documents_table) - len(shown)
    if hidden:
        notes.append(f"{hidden:,} more documents not listed: the Parquet rows hold them.")
    return TextTable(
        f"{dataset.name}: documents", columns, rows, frozenset(columns[1:]), " ".join(notes)
    )


def _document_cost(line: DocumentLine) -> str:
    if line.tokens is None:
        return "-"
    if line.self_hosted:
        return "self-hosted"
    return (
        "unknown" if line.cost is None or line.currency is None else money(line.cost, line.currency)
    )


def warnings_table(dataset: DatasetReport) -> TextTable:
    """Ok rows that say something is odd, by kind of warning, each with one as written."""
    unit = "pages" if dataset.kind == "pages" else "documents"
    rows = tuple(
        (group.category, f"{group.count:,}", example.source, _page(example.page), example.error)
        for group in dataset.warnings
        for example in group.examples[:1]
    )
    columns = ("warning", unit, "example source", "page", "example")
    note = "A row counts once per kind of warning; its warnings are in the `warnings` column."
    return TextTable(f"{dataset.name}: warnings", columns, rows, frozenset((unit, "page")), note)


def trust_table(dataset: DatasetReport) -> TextTable | None:
    """How far the standing ok rows can be trusted; None when no row says (no confidence, no
    warning: a dataset written before they existed, or without ok rows)."""
    trust = dataset.trust
    # A dataset written before rows carried a confidence has nothing to say here.
    if trust is None or (trust.unmeasured == trust.ok_rows and not trust.with_warnings):
        return None
    rows = (
        ("standing ok rows", f"{trust.ok_rows:,}"),
        ("no warning, confidence high enough", f"{trust.clean:,}"),
        ("with warnings", f"{trust.with_warnings:,}"),
        (f"confidence under {trust.threshold:.2f}", f"{trust.low_confidence:,}"),
        ("no confidence recorded", f"{trust.unmeasured:,}"),
        ("rows to check", f"{trust.to_check:,}"),
        ("documents holding them", f"{trust.documents_to_check:,}"),
        ("mean confidence", _optional(trust.mean, "{:.3f}")),
        ("median confidence", _optional(trust.median, "{:.3f}")),
    )
    note = (
        "Rows to check: ok rows with a warning or a confidence under the threshold "
        "(--low-confidence). Rows written before confidence existed have none."
    )
    columns = ("ok rows", "value")
    return TextTable(f"{dataset.name}: trust", columns, rows, frozenset({"value"}), note)


def to_check_table(dataset: DatasetReport, limit: int | None = None) -> TextTable:
    """The rows to check per document, worst first: page, confidence and reasons.

    The first `limit` rows when given; the note says how many rows and documents are left out.
    """
    listed = [(document, row) for document in dataset.to_check for row in document.shown][:limit]
    cells: list[tuple[str, ...]] = []
    for index, (document, row) in enumerate(listed):
        first = index == 0 or listed[index - 1][0] is not document
        head = (document.source, f"{document.rows:,}") if first else ("", "")
        cells.append(
            (*head, pages_label(row.pages), _optional(row.confidence, "{:.3f}"), _why(row))
        )
    columns = ("source", "to check", "page", "confidence", "reasons")
    title = f"{dataset.name}: rows to check"
    note = _left_out(dataset, listed)
    return TextTable(title, columns, tuple(cells), frozenset(columns[1:4]), note)


def _why(row: RowToCheck) -> str:
    return "; ".join(row.warnings) or "low confidence, no warning"


def _left_out(
    dataset: DatasetReport, listed: list[tuple[DocumentToCheck, RowToCheck]]
) -> str | None:
    """How many rows to check, and documents holding them, are not listed."""
    trust = dataset.trust
    rows = 0 if trust is None else trust.to_check - len(listed)
    if trust is None or rows <= 0:
        return None
    documents = trust.documents_to_check - len({document.source for document, _ in listed})
    more = f", in {documents:,} more documents" if documents else ""
    return (
        f"{rows:,} more rows to check not listed{more}: the Parquet rows hold them "
        "(filter on `warnings` and `confidence`)."
    )


def _page(page: int | None) -> str:
    return "-" if page is None else str(page)


def pages_label(pages: tuple[int, ...]) -> str:
    """`3`, or a document's `1-4` / `1, 3`."""
    if not pages:
        return "-"
    if len(pages) > 2 and list(pages) == list(range(pages[0], pages[-1] + 1)):
        return f"{pages[0]}-{pages[-1]}"
    return ", ".join(str(page) for page in pages)


def usage_table(report: RunReport) -> TextTable:
    """Requests, tokens and estimated cost per dataset, provider and model."""
    columns = ("dataset", "provider / model", "requests", "prompt tokens", "completion tokens")
    rows = tuple(
        (dataset.name, line.label, *_usage_cells(line))
        for dataset in report.datasets
        for line in dataset.usage
    )
    numeric = frozenset((*columns[2:], "est. cost"))
    return TextTable("tokens and cost", (*columns, "est. cost"), rows, numeric, _cost_note(report))


def _usage_cells(line: UsageLine) -> tuple[str, ...]:
    price, cost = line.price, line.cost
    if line.tokenless:
        return (f"{line.requests:,}", "-", "-", _cost_cell(price, cost))
    return (
        f"{line.requests:,}",
        f"{line.prompt_tokens:,}",
        f"{line.completion_tokens:,}",
        _cost_cell(price, cost),
    )


def _cost_cell(price: Price | None, cost: float | None) -> str:
    if price is not None and price.self_hosted:
        return "self-hosted"
    return "unknown" if cost is None or price is None else money(cost, price.currency)


def _cost_note(report: RunReport) -> str:
    totals = report.costs_by_currency()
    total = " + ".join(money(amount, currency) for currency, amount in sorted(totals.items()))
    notes = [f"Estimated total: {total or 'unknown'}."]
    unpriced = ", ".join(f"{provider}/{model}" for provider, model in report.unpriced())
    if unpriced:
        notes.append(f"No price known for {unpriced}: give one with --prices FILE.")
    lines = [line for d in report.datasets for line in d.usage]
    notes += sorted({f"{tokenless_label(line)}." for line in lines if line.tokenless})
    silent = sum(line.without_usage for line in lines if not line.tokenless)
    if silent:
        notes.append(f"{silent:,} answered rows had no usage from the endpoint: tokens missing.")
    return " ".join(notes)


def tokenless_label(line: UsageLine) -> str:
    """What a line whose engine counts no tokens says instead of its tokens."""
    if line.provider == LOCAL:
        return "embedded engine: no tokens"
    return f"{line.label}: the endpoint reported no tokens"


def prices_table(report: RunReport) -> TextTable:
    """The price applied to each provider and model, as --prices or the defaults set it."""
    lines = {(u.provider, u.model): u.price for d in report.datasets for u in d.usage}
    rows = tuple(
        (f"{provider} / {model}", *_price_cells(price))
        for (provider, model), price in sorted(lines.items())
    )
    columns = ("provider / model", "input per M tokens", "output per M tokens", "currency")
    note = "Indicative list prices unless given with --prices; self-hosted providers cost 0."
    return TextTable("prices", columns, rows, frozenset(columns[1:3]), note)


def _price_cells(price: Price | None) -> tuple[str, str, str]:
    if price is None:
        return ("unknown", "unknown", "-")
    return (f"{price.input_per_million:g}", f"{price.output_per_million:g}", price.currency)


def runs_table(dataset: DatasetReport) -> TextTable:
    """The runs that wrote the dataset."""
    rows = tuple(
        (r.run_id, timestamp(r.started), timestamp(r.finished), f"{r.pages:,}")
        for r in dataset.runs
    )
    columns = ("run", "first row", "last row", "pages")
    return TextTable(f"{dataset.name}: runs", columns, rows, frozenset(("pages",)))


def throughput_table(dataset: DatasetReport, limit: int | None = None) -> TextTable:
    """Pages finished per minute; the first `limit` minutes when given."""
    shown = dataset.throughput if limit is None else dataset.throughput[:limit]
    rows = tuple((timestamp(m.minute), f"{m.pages:,}") for m in shown)
    hidden = len(dataset.throughput) - len(shown)
    note = f"{hidden:,} more minutes not shown." if hidden else None
    title = f"{dataset.name}: pages finished per minute"
    return TextTable(title, ("minute (UTC)", "pages"), rows, frozenset(("pages",)), note)


def dataset_tables(
    dataset: DatasetReport,
    minutes: int | None = None,
    rows_to_check: int | None = None,
    documents: int | None = None,
) -> list[TextTable]:
    """Every table of one dataset; errors, warnings and rows to check only when there are some.

    `rows_to_check` caps the rows listed (the terminal); the HTML page lists them apart.
    `documents` caps the per-document lines (0: none, the HTML page places them apart).
    """
    tables = [status_table(dataset)]
    if dataset.errors:
        tables.append(errors_table(dataset))
    if dataset.documents_table and documents != 0:
        tables.append(documents_table(dataset, documents))
    trust = trust_table(dataset)
    if trust is not None:
        tables.append(trust)
    if dataset.warnings:
        tables.append(warnings_table(dataset))
    if dataset.to_check and rows_to_check is not None:
        tables.append(to_check_table(dataset, rows_to_check))
    return [*tables, runs_table(dataset), throughput_table(dataset, minutes)]


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float) -> str:
    """`42.0 s`, `12 min 05 s`, `3 h 02 min`."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def money(amount: float, currency: str) -> str:
    return f"{amount:,.4f} {currency}"


def _optional(value: float | None, template: str) -> str:
    return "-" if value is None else template.format(value)
