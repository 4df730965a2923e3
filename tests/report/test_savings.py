"""`visionbatch report --json`: the pages a run answered without a request (repeated pages,
blank pages, pages read from their text layer), the image tokens they did not send and their
cost, from a dataset a real run wrote against the chat test server."""

import json
from pathlib import Path
from typing import Any

import polars as pl
import pymupdf
import pytest
from chat_server import ChatServer
from harness import run
from markers import draw_marker_pdf_page, encode_value
from report_data import write_parts
from typer.testing import CliRunner

from extractors.document.page_rows import PageRowBuilder
from extractors.plan.profiles.registry import PROFILES
from extractors.records import RenderedImage, SourceFile
from extractors.sink.store import PAGES, read_rows
from flows.commands.cli import app

COVER = encode_value(99, 1)
# Pages 1, 6 and 7 of the filing are one cover sheet: 6 and 7 are copies, not asked.
COVER_PAGES = (1, 6, 7)
# What a blank duplex back would be drawn at (letter at 1,024 px on its long side).
BLANK_SIZE = (792, 1024)
PRICE = {"input_per_million": 2.0, "output_per_million": 8.0, "currency": "EUR"}


def _filing(path: Path) -> None:
    document = pymupdf.open()
    for page in range(1, 8):
        marker = COVER if page in COVER_PAGES else encode_value(7, page)
        draw_marker_pdf_page(document.new_page(width=612, height=792), marker)
    document.save(str(path))


def _born_digital(path: Path, pages: int) -> None:
    document = pymupdf.open()
    for number in range(1, pages + 1):
        page = document.new_page(width=612, height=792)
        for line in range(20):
            text = f"Page {number} line {line + 1}: minutes of the board, item {line * 7 + 3}."
            page.insert_text((72, 90 + 18 * line), text, fontsize=10)
    document.save(str(path))


def _blank_backs(out: Path, builder: PageRowBuilder, count: int) -> None:
    """Rows of a scan's blank backs as the run's builder makes them (no request), in a part
    of their own: the detector's wiring in the render worker is tested where it lives."""
    source = SourceFile(str(out / "backs.pdf"), "sha-backs", "pdf")
    images = [RenderedImage(n, *BLANK_SIZE, "image/jpeg", b"", blank=True) for n in range(1, 4)]
    rows = [builder.blank_row(source, count, image) for image in images[:count]]
    write_parts(out / PAGES, "blank-backs", rows)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """One run over the filing and a born-digital PDF, the blank backs, and the report."""
    base = tmp_path_factory.mktemp("savings")
    folder, out = base / "in", base / "out"
    folder.mkdir()
    _filing(folder / "filing.pdf")
    _born_digital(folder / "minutes.pdf", 3)
    # One page a request, one at a time: the cover's copies are drawn after it was answered.
    with ChatServer(latency=0.02) as server:
        _, session = run(
            [folder],
            out,
            base_url=server.base_url,
            model="pixtral-12b-2409",
            concurrency=1,
            max_images=1,
        )
    builder = session.orchestrator.unit.rows  # type: ignore[attr-defined]
    assert isinstance(builder, PageRowBuilder)
    _blank_backs(out, builder, 3)
    provider = read_rows(out / PAGES)[0]["provider"]
    prices = base / "prices.json"
    prices.write_text(json.dumps([{"provider": provider, "model": "*", **PRICE}]))
    result = CliRunner().invoke(app, ["report", str(out), "--json", "--prices", str(prices)])
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def _lines(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (pages,) = [d for d in report["datasets"] if d["name"] == PAGES]
    return {line["kind"]: line for line in pages["savings"]["lines"]}


def _sent(out: Path) -> pl.DataFrame:
    return pl.DataFrame(read_rows(out / PAGES)).filter(pl.col("request_id").is_not_null())


def test_each_kind_counts_its_pages_and_the_tokens_they_did_not_send(
    ran: tuple[Path, dict[str, Any]],
) -> None:
    out, report = ran
    sent = _sent(out)
    assert sent.height == 5  # the filing's pages 1-5; 6 and 7 copy 1, the minutes are read
    cover_tokens = sent.filter(pl.col("page") == 1)["image_tokens"].item()
    median = int(sent["image_tokens"].median())  # type: ignore[arg-type]
    blank_tokens = PROFILES["pixtral"].image_tokens(*BLANK_SIZE)
    lines = _lines(report)
    assert list(lines) == ["repeated page", "blank page", "text layer", "cropped margins"]
    figures = {
        kind: (v["pages"], v["image_tokens"], v["own"], v["by_size"], v["by_median"])
        for kind, v in lines.items()
    }
    assert figures == {
        "repeated page": (2, 2 * cover_tokens, 2, 0, 0),  # their own: the cover's
        "blank page": (3, 3 * blank_tokens, 0, 3, 0),  # by their size, pixtral's profile
        "text layer": (3, 3 * median, 0, 0, 3),  # no size on a layer's row: the median
        "cropped margins": (0, 0, 0, 0, 0),  # pages drawn whole (no --crop-margins)
    }
    assert all(v["unknown"] == 0 for v in lines.values())


def test_costs_and_share_follow_the_prices_and_the_tokens_sent(
    ran: tuple[Path, dict[str, Any]],
) -> None:
    out, report = ran
    (pages,) = [d for d in report["datasets"] if d["name"] == PAGES]
    savings = pages["savings"]
    assert savings["profile"] == "pixtral"
    sent_prompt = int(_sent(out)["prompt_tokens"].sum())
    assert savings["sent_prompt_tokens"] == sent_prompt
    saved = sum(line["image_tokens"] for line in savings["lines"])
    assert savings["image_tokens"] == saved
    assert savings["share"] == pytest.approx(saved / (sent_prompt + saved))
    for line in (line for line in savings["lines"] if line["pages"]):  # none cropped: no price
        assert line["currency"] == "EUR" and not line["self_hosted"]
        assert line["cost"] == pytest.approx(line["image_tokens"] * 2.0 / 1_000_000)


def test_the_terminal_shows_the_not_sent_table(ran: tuple[Path, dict[str, Any]]) -> None:
    out, report = ran
    result = CliRunner().invoke(app, ["report", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    _, table = result.stdout.split("pages: not sent", 1)
    blank = _lines(report)["blank page"]
    # The blank page's cells, each joined over the lines a narrow terminal wraps it on.
    row = ("│ blank page" + table.split("│ blank page", 1)[1]).split("│ text layer", 1)[0]
    lines = [line.split("│")[1:-1] for line in row.strip().splitlines()]
    shown = [" ".join(" ".join(cell).split()) for cell in zip(*lines, strict=True)]
    assert shown[2] == f"{blank['image_tokens']:,}" and shown[3] == "estimated from size (pixtral)"
    assert "self-hosted" in shown  # a bare URL without --prices: the user's own server
