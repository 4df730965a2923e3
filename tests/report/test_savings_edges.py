"""The report's pages not sent, from made-up part files: a page of given content counts once,
and tokens nothing can tell are said unknown, never 0."""

from pathlib import Path

from report_data import page_row, write_parts
from typer.testing import CliRunner

from extractors.report.build import build_report
from extractors.report.pricing import DEFAULT_PRICES
from extractors.report.savings_table import savings_table
from extractors.sink.store import PAGES
from flows.commands.cli import app
from schemas import PageRow, TextSource


def _layer_row(source: str, page: int, seconds: int, run: str, sha: str) -> PageRow:
    row = page_row(source, page, seconds, run, sha=sha)
    update = {
        "text_source": TextSource.TEXT_LAYER,
        "image_tokens": None,
        "width": None,
        "height": None,
    }
    return row.model_copy(update=update)


def test_a_layer_read_twice_counts_once_and_without_sent_pages_its_tokens_are_unknown(
    tmp_path: Path,
) -> None:
    write_parts(
        tmp_path / PAGES, "run-a", [_layer_row("a.pdf", n, n, "run-a", "s") for n in (1, 2)]
    )
    # The same file found at another path in a later run: its stored rows copied, not read.
    write_parts(tmp_path / PAGES, "run-b", [_layer_row("copy.pdf", 1, 60, "run-b", "s")])
    (dataset,) = build_report(tmp_path, DEFAULT_PRICES).datasets
    assert dataset.savings is not None
    lines = {line.kind: line for line in dataset.savings.lines}
    layer = lines["text layer"]
    assert (layer.pages, layer.unknown, layer.image_tokens) == (2, 2, 0)
    assert (lines["blank page"].pages, lines["repeated page"].pages) == (0, 0)
    assert dataset.savings.share is None  # nothing sent, nothing told: no share
    table = savings_table(dataset.name, dataset.savings)
    row = next(r for r in table.rows if r[0] == "text layer")
    assert row[1:] == ("2", "unknown", "unknown: nothing sent to compare", "unknown")


def test_the_html_page_has_a_not_sent_section(tmp_path: Path) -> None:
    write_parts(tmp_path / PAGES, "run-a", [_layer_row("a.pdf", 1, 1, "run-a", "s")])
    page = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", str(tmp_path), "--html", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert "<h2>Not sent</h2>" in html and "<caption>pages: not sent</caption>" in html
