"""The report as titled tables of text, one layout shared by the terminal and the HTML page."""

from extractors.endpoint.providers import LOCAL
from extractors.report.pricing import Price
from extractors.report.run_report import (
    DatasetReport,
    DocumentLine,
    RunReport,
    UsageLine,
)
from extractors.report.savings_table import savings_table
from extractors.report.text_table import (
    TextTable,
    duration,
    money,
    optional_cell,
    page_cell,
    timestamp,
)
from extractors.report.trust_tables import to_check_table, trust_table, warnings_table


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
            optional_cell(d.pages_per_minute, "{:,.1f}"),
            "a request" if d.latency.unit == "request" else "a document",
            f"{d.latency.count:,}",
            optional_cell(d.latency.p50_ms, "{:,.0f}"),
            optional_cell(d.latency.p95_ms, "{:,.0f}"),
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
            page_cell(example.page),
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
            optional_cell(line.tokens, "{:,}"),
            _document_cost(line),
            optional_cell(None if line.latency_ms is None else line.latency_ms / 1000, "{:,.1f}"),
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
    savings: bool = True,
) -> list[TextTable]:
    """Every table of one dataset; errors, warnings and rows to check only when there are some.

    `rows_to_check` caps the rows listed (the terminal); the HTML page lists them apart.
    `documents` caps the per-document lines (0: none, the HTML page places them apart);
    `savings` False leaves out the pages not sent (the HTML page places them apart too).
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
    if dataset.savings is not None and savings:
        tables.append(savings_table(dataset.name, dataset.savings))
    return [*tables, runs_table(dataset), throughput_table(dataset, minutes)]
