"""The report as one self-contained HTML file: inline CSS and SVG, nothing fetched at view time.

Sources, error messages and model names come from the data, which comes from untrusted files:
every string goes through `html.escape`, and the page carries no script at all.
"""

from datetime import UTC, datetime
from html import escape
from pathlib import Path

from extractors.errors import ReportError
from extractors.report.charts import (
    confidence_chart,
    has_usage_to_chart,
    latency_chart,
    throughput_chart,
    usage_chart,
)
from extractors.report.run_report import DatasetReport, RunReport
from extractors.report.savings_table import savings_table
from extractors.report.tables import (
    dataset_tables,
    documents_table,
    overview_table,
    prices_table,
    timing_table,
    tokenless_label,
    usage_table,
)
from extractors.report.text_table import TextTable, duration, money, timestamp
from extractors.report.trust_html import TRUST_CSS, PageDrawer, rows_to_check_section

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2430;
  margin: 0 auto; padding: 24px 32px 48px; max-width: 1180px; background: #fafbfc; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 36px 0 8px; font-size: 19px; border-bottom: 1px solid #d8dde5; padding-bottom: 4px; }
.sub { color: #5b6474; margin: 0 0 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { background: #fff; border: 1px solid #d8dde5; border-radius: 6px; padding: 10px 16px; }
.card b { display: block; font-size: 18px; }
.card span { color: #5b6474; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
table { border-collapse: collapse; margin: 8px 0 4px; background: #fff; min-width: 40%; }
caption { text-align: left; font-weight: 600; padding: 6px 0; }
th, td { border: 1px solid #d8dde5; padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: #eef1f5; font-weight: 600; }
td { overflow-wrap: anywhere; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.note { color: #5b6474; font-size: 12.5px; margin: 2px 0 12px; }
figure { margin: 12px 0 20px; background: #fff; border: 1px solid #d8dde5; border-radius: 6px;
  padding: 8px; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: #5b6474; font-size: 12.5px; padding: 4px 4px 0; }
details summary { cursor: pointer; color: #2b5797; margin: 8px 0; }
"""


# The documents listed per dataset: the rest are in the Parquet rows, and the page stays light.
HTML_DOCUMENTS = 1000


def write_html_report(report: RunReport, path: Path) -> None:
    """Write the page; ReportError when the file cannot be written."""
    try:
        path.write_text(html_report(report), encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror}") from None


def html_report(report: RunReport, generated_at: datetime | None = None) -> str:
    """The whole page."""
    moment = generated_at or datetime.now(UTC)
    title = f"visionbatch report: {report.out_dir}"
    drawer = PageDrawer()  # one limit on pictures for the whole page
    datasets = [part for d in report.datasets for part in _dataset_section(d, drawer)]
    body = [
        "<h1>visionbatch report</h1>",
        f'<p class="sub">{escape(str(report.out_dir))} &middot; generated '
        f"{escape(timestamp(moment))}</p>",
        _cards(report),
        "<h2>Datasets</h2>",
        _table(overview_table(report)),
        "<h2>Charts</h2>",
        *_charts(report),
        "<h2>Tokens and cost</h2>",
        _table(usage_table(report)),
        _table(prices_table(report)),
        "<h2>Timing</h2>",
        _table(timing_table(report)),
        *datasets,
        *_not_sent(report),
        *_left_out(drawer),
        f'<p class="note">{escape(_HOW_COUNTED)}</p>',
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}{TRUST_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


_HOW_COUNTED = (
    "Statuses and errors count the row that stands for each page (or document): the newest, "
    "as compaction keeps it; superseded rows are counted apart. Tokens, cost, latency and "
    "throughput count every row written, each request once. Costs are estimates from "
    "indicative list prices unless given with --prices."
)


def _cards(report: RunReport) -> str:
    first = min(d.first_at for d in report.datasets)
    last = max(d.last_at for d in report.datasets)
    totals = report.costs_by_currency()
    cost = " + ".join(money(amount, currency) for currency, amount in sorted(totals.items()))
    if report.unpriced():
        cost = f"{cost} + unknown" if cost else "unknown"
    cards = [
        ("datasets", str(len(report.datasets))),
        ("estimated cost", cost),
        ("wall span", duration((last - first).total_seconds())),
        ("rows written", _between(first, last)),
    ]
    items = "".join(
        f'<div class="card"><span>{escape(label)}</span><b>{escape(value)}</b></div>'
        for label, value in cards
    )
    return f'<div class="cards">{items}</div>'


def _between(first: datetime, last: datetime) -> str:
    end = last.strftime("%H:%M:%S UTC" if first.date() == last.date() else "%Y-%m-%d %H:%M:%S UTC")
    return f"{first:%Y-%m-%d %H:%M:%S} to {end}"


def _charts(report: RunReport) -> list[str]:
    captions = [
        (throughput_chart, "Rows written per minute (UTC), ok or not, per dataset."),
        (latency_chart, "Wall time of each answered request (document datasets: per document)."),
    ]
    if has_usage_to_chart(report):
        caption = "Estimated cost by provider and model, or tokens when a cost is unknown."
        captions.append((usage_chart, caption + _tokenless_note(report)))
    figures = [
        f"<figure>{chart(report)}<figcaption>{escape(caption)}</figcaption></figure>"
        for chart, caption in captions
    ]
    if not has_usage_to_chart(report):
        figures.append(f'<p class="note">{escape(_tokenless_note(report).strip())}</p>')
    return figures


def _tokenless_note(report: RunReport) -> str:
    """` embedded engine: no tokens.` when some engine counted none; empty otherwise."""
    lines = [line for dataset in report.datasets for line in dataset.usage if line.tokenless]
    return "".join(sorted({f" {tokenless_label(line)}." for line in lines}))


def _left_out(drawer: PageDrawer) -> list[str]:
    if not drawer.left_out:
        return []
    return [
        f'<p class="note">{drawer.left_out:,} pages of rows to check were not drawn: the '
        f"report draws at most {drawer.limit} pages.</p>"
    ]


def _dataset_section(dataset: DatasetReport, drawer: PageDrawer) -> list[str]:
    unit = "one row per page" if dataset.kind == "pages" else "one row per document"
    head = [
        f"<h2>Dataset {escape(dataset.name)}</h2>",
        f'<p class="sub">{unit} &middot; {dataset.part_files:,} part files &middot; '
        f"{dataset.stored_rows:,} rows stored</p>",
    ]
    *tables, runs, throughput = dataset_tables(dataset, documents=0, savings=False)
    summary = f"<summary>{escape(throughput.title)}</summary>"
    minutes = f"<details>{summary}{_table(throughput)}</details>"
    chart = confidence_chart(dataset)
    figure = [f"<figure>{chart}<figcaption>{_CONFIDENCE}</figcaption></figure>"] if chart else []
    checks = rows_to_check_section(dataset, drawer)
    # The documents after the rows to check: those are what a reader looks at first.
    documents = (
        [_table(documents_table(dataset, HTML_DOCUMENTS))] if dataset.documents_table else []
    )
    return [*head, *map(_table, tables), *figure, *checks, *documents, _table(runs), minutes]


def _not_sent(report: RunReport) -> list[str]:
    """Every page dataset's pages not sent, after the datasets: a figure of cost that a reader
    looks for once the outcomes are read."""
    tables = [
        _table(savings_table(d.name, d.savings)) for d in report.datasets if d.savings is not None
    ]
    return ["<h2>Not sent</h2>", *tables] if tables else []


_CONFIDENCE = (
    "Confidence of the standing ok rows, in bins of 0.1; bins under the threshold in orange."
)


def _table(table: TextTable) -> str:
    numeric = [column in table.numeric for column in table.columns]
    head = "".join(
        f'<th class="num">{escape(c)}</th>' if n else f"<th>{escape(c)}</th>"
        for c, n in zip(table.columns, numeric, strict=True)
    )
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{escape(cell)}</td>' if n else f"<td>{escape(cell)}</td>"
            for cell, n in zip(row, numeric, strict=True)
        )
        + "</tr>"
        for row in table.rows
    )
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    return (
        f"<table><caption>{escape(table.title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table>{note}"
    )
