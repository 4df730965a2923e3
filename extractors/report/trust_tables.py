"""The report's trust tables: warnings by kind, how far ok rows can be trusted, rows to check."""

from extractors.report.run_report import DatasetReport, DocumentToCheck, RowToCheck
from extractors.report.text_table import TextTable, optional_cell, page_cell


def warnings_table(dataset: DatasetReport) -> TextTable:
    """Ok rows that say something is odd, by kind of warning, each with one as written."""
    unit = "pages" if dataset.kind == "pages" else "documents"
    rows = tuple(
        (group.category, f"{group.count:,}", example.source, page_cell(example.page), example.error)
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
        ("mean confidence", optional_cell(trust.mean, "{:.3f}")),
        ("median confidence", optional_cell(trust.median, "{:.3f}")),
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
            (*head, pages_label(row.pages), optional_cell(row.confidence, "{:.3f}"), _why(row))
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


def pages_label(pages: tuple[int, ...]) -> str:
    """`3`, or a document's `1-4` / `1, 3`."""
    if not pages:
        return "-"
    if len(pages) > 2 and list(pages) == list(range(pages[0], pages[-1] + 1)):
        return f"{pages[0]}-{pages[-1]}"
    return ", ".join(str(page) for page in pages)
