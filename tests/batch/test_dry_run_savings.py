"""`--dry-run` says what pages read from their text layer save: the image tokens the same pages
are planned at when drawn (`--text-layer off`), and their cost at the model's input price."""

import json
from pathlib import Path

import pytest
from dry_runs import dry_run_with_lines
from text_layer_pdfs import build_kinds_pdf
from typer.testing import CliRunner

from extractors.document.dry_run_figures import FOUND_WHEN_DRAWN
from extractors.report.pricing import DEFAULT_PRICES
from flows.commands.cli import app


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """Two PDFs of four pages: one born-digital page each, the others scans."""
    folder = tmp_path / "in"
    folder.mkdir()
    build_kinds_pdf(folder / "a.pdf")
    build_kinds_pdf(folder / "b.pdf")
    return folder


def test_layer_savings_are_the_planned_image_tokens_of_those_pages(
    inputs: Path, tmp_path: Path
) -> None:
    openai = ("--provider", "openai")
    auto, shown = dry_run_with_lines(inputs, tmp_path / "auto", *openai, "--text-layer", "auto")
    off, _ = dry_run_with_lines(inputs, tmp_path / "off", *openai, "--text-layer", "off")
    layer = auto["not_sent"]["text_layer"]
    assert (auto["text_layer_pages"], layer["pages"]) == (2, 2)
    # The pages drawn when the layer is not read, less those drawn when it is.
    planned = off["image_tokens"] - auto["image_tokens"]
    assert planned > 0
    assert layer == layer | {"image_tokens": planned, "text_tokens_instead": 0}
    assert layer["tokens_saved"] == planned
    assert layer["share"] == pytest.approx(planned / (auto["prompt_tokens"] + planned), abs=1e-6)
    price = DEFAULT_PRICES.price_of("openai", auto["model"])
    assert price is not None
    assert layer["cost_online"] == pytest.approx(price.cost(planned, 0), abs=1e-6)
    assert layer["cost_batch"] == pytest.approx(price.cost(planned, 0) / 2, abs=1e-6)
    assert off["not_sent"]["text_layer"]["tokens_saved"] == 0
    assert auto["not_sent"]["blank_and_repeated"] == FOUND_WHEN_DRAWN
    assert f"not sent: 2 pages read from their text layer save {planned:,} image tokens" in shown
    assert f"not sent: {FOUND_WHEN_DRAWN}" in shown


def test_a_document_schema_counts_the_text_sent_in_the_images_place(
    inputs: Path, tmp_path: Path
) -> None:
    common = ("--model", "m", "--schema", "receipt")
    only, _ = dry_run_with_lines(inputs, tmp_path / "only", *common, "--text-layer", "only")
    off, _ = dry_run_with_lines(inputs, tmp_path / "off", *common, "--text-layer", "off")
    layer = only["not_sent"]["text_layer"]
    assert layer["pages"] == only["text_layer_pages"] == 2
    assert layer["image_tokens"] == off["image_tokens"] - only["image_tokens"]
    assert 0 < layer["text_tokens_instead"] < layer["image_tokens"]
    assert layer["tokens_saved"] == layer["image_tokens"] - layer["text_tokens_instead"]
    # A bare URL is priced as self-hosted: nothing saved in money.
    assert (layer["cost_online"], layer["cost_batch"]) == (0.0, 0.0)


def test_the_embedded_engine_counts_pages_only(inputs: Path, tmp_path: Path) -> None:
    args = ["run", str(inputs), "--out", str(tmp_path / "out"), "--dry-run", "--json"]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["not_sent"]["text_layer"] == {"pages": 2}
