"""`visionbatch report DIR`: what a run (or several) wrote, in the terminal and as HTML."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from extractors.trust import LOW_CONFIDENCE
from flows.terminal.text import printable, say, say_error

if TYPE_CHECKING:  # the report's stack loads only when a report is made, not for `--help`
    from rich.table import Table

    from extractors.report.run_report import RunReport
    from extractors.report.text_table import TextTable

# A long run has hundreds of minutes: the terminal shows the first ones, the HTML page all.
_TERMINAL_MINUTES = 30
# Rows to check, worst documents first: the terminal lists the first ones, the HTML page more.
_TERMINAL_ROWS_TO_CHECK = 40
# Documents, those with errors first: the terminal lists the first ones, the HTML page more.
_TERMINAL_DOCUMENTS = 40


def report(
    out: Annotated[Path, typer.Argument(help="Output directory of one or more runs.")],
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="FILE",
            help="Also write a self-contained HTML report (tables, charts).",
        ),
    ] = None,
    prices: Annotated[
        Path | None,
        typer.Option(
            "--prices",
            metavar="FILE",
            help="JSON list of {provider, model, input_per_million, output_per_million, "
            'currency} overriding the indicative prices (model "*": every model).',
        ),
    ] = None,
    low_confidence: Annotated[
        float,
        typer.Option(
            "--low-confidence",
            metavar="NUMBER",
            min=0.0,
            max=1.0,
            help="Ok rows under this confidence (0-1) are listed as rows to check, as are rows "
            "with warnings.",
        ),
    ] = LOW_CONFIDENCE,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the report as one JSON object on stdout instead of tables "
            "(pages not sent by kind under each page dataset's `savings`).",
        ),
    ] = False,
) -> None:
    """Report on OUT: outcomes, errors, rows to check, tokens and cost, latency and throughput."""
    from extractors.errors import VisionbatchError
    from extractors.report.build import build_report
    from extractors.report.pricing import DEFAULT_PRICES, load_prices

    try:
        price_table = load_prices(prices) if prices else DEFAULT_PRICES
        run_report = build_report(out, price_table, low_confidence)
        if as_json:
            from extractors.report.report_json import report_json

            typer.echo(json.dumps(report_json(run_report)))
        else:
            print_report(run_report, Console())
        if html is not None:
            # Imported here: matplotlib takes a moment to load and only the HTML page needs it.
            from extractors.report.html import write_html_report

            write_html_report(run_report, html)
            say(f"wrote {html}", err=as_json)  # stdout holds only the JSON
    except VisionbatchError as exc:
        say_error(exc)
        raise typer.Exit(1) from None


def print_report(report: "RunReport", console: Console) -> None:
    """Every table of the report, the directory-wide ones first."""
    from rich.text import Text

    from extractors.report.tables import (
        dataset_tables,
        overview_table,
        prices_table,
        timing_table,
        usage_table,
    )

    console.print(
        Text.assemble(("visionbatch report", "bold"), f" of {printable(str(report.out_dir))}")
    )
    tables = [
        overview_table(report),
        usage_table(report),
        prices_table(report),
        timing_table(report),
    ]
    for dataset in report.datasets:
        tables += dataset_tables(
            dataset, _TERMINAL_MINUTES, _TERMINAL_ROWS_TO_CHECK, _TERMINAL_DOCUMENTS
        )
    for table in tables:
        console.print(rich_table(table))


def rich_table(table: "TextTable") -> "Table":
    """A rich table of the same layout.

    Every string is a Text, never console markup: sources and errors come from the data, and
    "[red]" in them is text, not a style.
    """
    from rich.table import Table
    from rich.text import Text

    caption = Text(printable(table.note)) if table.note else None
    title = Text(printable(table.title))
    rendered = Table(title=title, caption=caption, caption_justify="left")
    for index, column in enumerate(table.columns):
        # Figures keep their width; names and messages fold when the terminal is narrow.
        widest = max((len(row[index]) for row in table.rows), default=0)
        if column in table.numeric:
            rendered.add_column(column, justify="right", min_width=widest)
        else:
            rendered.add_column(column, overflow="fold", min_width=min(widest, 8))
    for row in table.rows:
        rendered.add_row(*(Text(printable(cell)) for cell in row))
    return rendered
