"""`visionbatch report --json`: the margins `--crop-margins` cut off the pages sent, the tokens
their whole pages would have cost less those sent, from a dataset a real run wrote against the
chat test server."""

import json
from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from chat_server import ChatServer
from harness import run
from margin_pdfs import CROPPED_PAGES, build_margins_pdf
from page_checks import read_pages
from report_data import page_row, write_parts
from typer.testing import CliRunner

from extractors.plan.profiles.registry import PROFILES
from extractors.report.build import build_report
from extractors.report.pricing import DEFAULT_PRICES
from extractors.report.savings import CROPPED
from extractors.report.savings_table import savings_table
from extractors.sink.store import PAGES
from flows.commands.cli import app
from schemas.page_row import PageCrop

PRICE = {"input_per_million": 2.0, "output_per_million": 8.0, "currency": "EUR"}
PIXTRAL = PROFILES["pixtral"]


def _run(inputs: Path, out: Path, crop: bool) -> pl.DataFrame:
    """The page rows of one run, one page a request (a row's prompt tokens are its own)."""
    with ChatServer() as server:
        run(
            [inputs],
            out,
            base_url=server.base_url,
            model="pixtral-12b-2409",
            max_images=1,
            crop_margins=crop,
        )
    return read_pages(out).sort("page")


@dataclass(frozen=True)
class Ran:
    """A run with `--crop-margins`: where it wrote, its rows and its report; and the rows of
    the same run without the option."""

    out: Path
    rows: pl.DataFrame
    report: dict[str, Any]
    whole: pl.DataFrame


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    """The same PDF run with and without `--crop-margins`, and the first run's report."""
    base = tmp_path_factory.mktemp("cropped")
    inputs = base / "in"
    inputs.mkdir()
    build_margins_pdf(inputs / "margins.pdf")
    cropped = _run(inputs, base / "cropped", crop=True)
    whole = _run(inputs, base / "whole", crop=False)
    prices = base / "prices.json"
    prices.write_text(json.dumps([{"provider": cropped["provider"][0], "model": "*", **PRICE}]))
    args = ["report", str(base / "cropped"), "--json", "--prices", str(prices)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return Ran(base / "cropped", cropped, json.loads(result.stdout), whole)


def _savings(report: dict[str, Any]) -> dict[str, Any]:
    (pages,) = [d for d in report["datasets"] if d["name"] == PAGES]
    savings: dict[str, Any] = pages["savings"]
    return savings


def _whole_tokens(row: dict[str, Any]) -> int:
    """The whole page's tokens, from the image's size over the share of the page it holds."""
    crop = row["crop"]
    width = round(row["width"] / (crop["x1"] - crop["x0"]))
    height = round(row["height"] / (crop["y1"] - crop["y0"]))
    return PIXTRAL.image_tokens(*PIXTRAL.fit(width, height))


def test_the_line_counts_the_cropped_pages_and_their_whole_pages_tokens_less_those_sent(
    ran: Ran,
) -> None:
    rows, report = ran.rows, ran.report
    sent = rows.filter(pl.col("request_id").is_not_null())
    assert sent.height == rows.height == 4
    cropped = sent.filter(pl.col("crop").is_not_null()).to_dicts()
    assert [row["page"] for row in cropped] == list(CROPPED_PAGES)
    saved = [max(0, _whole_tokens(row) - row["image_tokens"]) for row in cropped]
    # One page's content box near the whole page's shape: capped at its tokens, nothing saved.
    assert 0 in saved and sum(saved) > 0
    line = _savings(report)["lines"][-1]
    assert line["kind"] == "cropped margins"
    assert (line["pages"], line["image_tokens"]) == (len(CROPPED_PAGES), sum(saved))
    assert (line["by_size"], line["own"], line["by_median"], line["unknown"]) == (3, 0, 0, 0)
    assert line["currency"] == "EUR" and not line["self_hosted"]
    assert line["cost"] == pytest.approx(sum(saved) * 2.0 / 1_000_000)


def test_the_whole_pages_cost_what_a_run_without_the_option_sent(
    ran: Ran,
) -> None:
    rows, whole, report = ran.rows, ran.whole, ran.report
    cropped = rows.filter(pl.col("crop").is_not_null())
    by_page = dict(whole.select("page", "image_tokens").iter_rows())
    sent_whole = sum(by_page[page] for page in cropped["page"])
    assert whole["crop"].null_count() == whole.height  # the other run cut nothing
    line = _savings(report)["lines"][-1]
    assert line["image_tokens"] == sent_whole - int(cropped["image_tokens"].sum())


def test_the_share_is_of_every_page_sent_whole(
    ran: Ran,
) -> None:
    rows, whole, report = ran.rows, ran.whole, ran.report
    savings = _savings(report)
    assert savings["profile"] == "pixtral"
    sent_prompt = int(rows["prompt_tokens"].sum())
    assert savings["sent_prompt_tokens"] == sent_prompt
    # Nothing else was saved: sent + saved is what the run without the option sent.
    assert [line["pages"] for line in savings["lines"][:-1]] == [0, 0, 0]
    assert sent_prompt + savings["image_tokens"] == int(whole["prompt_tokens"].sum())
    assert savings["share"] == pytest.approx(
        savings["image_tokens"] / (sent_prompt + savings["image_tokens"])
    )


def _cells(table: str, kind: str) -> list[str]:
    """A row's cells, each joined over the lines a narrow terminal wraps it on."""
    first, *after = table[table.index(f"│ {kind}") :].splitlines()
    wrapped = takewhile(
        lambda line: line.startswith("│ ") and not line.split("│")[1].strip(), after
    )
    lines = [line.split("│")[1:-1] for line in (first, *wrapped)]
    return [" ".join(" ".join(cell).split()) for cell in zip(*lines, strict=True)]


def test_the_terminal_shows_the_cropped_margins_line(ran: Ran) -> None:
    result = CliRunner().invoke(app, ["report", str(ran.out)])
    assert result.exit_code == 0, result.output
    _, table = result.stdout.split("pages: not sent", 1)
    line = _savings(ran.report)["lines"][-1]
    kind, pages, tokens, source, cost = _cells(table, "cropped margins")
    assert (kind, pages, tokens) == ("cropped margins", "3", f"{line['image_tokens']:,}")
    assert source == "whole page estimated from size (pixtral), less the row's"
    assert cost == "self-hosted"  # a bare URL without --prices: the user's own server
    note = " ".join(table.split())  # the note, wrapped
    assert "Cropped margins: pages sent cut to their content box (--crop-margins)" in note


def test_the_html_page_has_the_line(ran: Ran, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", str(ran.out), "--html", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    tokens = _savings(ran.report)["lines"][-1]["image_tokens"]
    assert "cropped margins" in html and f"{tokens:,}" in html


def test_without_a_profile_that_fits_the_tokens_are_unknown(tmp_path: Path) -> None:
    """Rows whose sizes and tokens no known profile gives: what a whole page would have cost
    cannot be told, and is said unknown, never 0 or a guess."""
    crop = PageCrop(x0=0.1, y0=0.1, x1=0.9, y1=0.6)
    rows = [
        page_row("a.pdf", n, n, "run-a", request=f"r{n}", prompt=1100).model_copy(
            update={"crop": crop}
        )
        for n in (1, 2)
    ]
    write_parts(tmp_path / PAGES, "run-a", rows)
    (dataset,) = build_report(tmp_path, DEFAULT_PRICES).datasets
    assert dataset.savings is not None and dataset.savings.profile is None
    line = dataset.savings.lines[-1]
    assert (line.kind, line.pages, line.unknown, line.image_tokens) == (CROPPED, 2, 2, 0)
    table = savings_table(dataset.name, dataset.savings)
    row = next(r for r in table.rows if r[0] == CROPPED)
    assert row[1:] == ("2", "unknown", "unknown: no token profile fits the pages sent", "unknown")
