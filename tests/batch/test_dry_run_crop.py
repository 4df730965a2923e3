"""`--dry-run` says what `--crop-margins` saves: the image tokens the pages it cuts would cost
whole (as a dry run without the option plans them) less those they cost cut, and their cost at
the model's input price; without the option, that it is off."""

import json
from pathlib import Path

import pytest
from dry_runs import dry_run_with_lines
from margin_pdfs import CROPPED_PAGES, build_margins_pdf
from typer.testing import CliRunner

from extractors.document.dry_run_figures import CROP_OFF
from extractors.report.pricing import DEFAULT_PRICES
from flows.commands.cli import app


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """Two PDFs of four pages: a page without margins, three with wide ones."""
    folder = tmp_path / "in"
    folder.mkdir()
    build_margins_pdf(folder / "a.pdf")
    build_margins_pdf(folder / "b.pdf")
    return folder


@pytest.mark.parametrize("profile", ["openai", "pixtral"])
def test_crop_savings_are_the_difference_of_the_image_tokens_with_and_without_it(
    inputs: Path, tmp_path: Path, profile: str
) -> None:
    common = ("--provider", "openai", "--token-profile", profile)
    cut, shown = dry_run_with_lines(inputs, tmp_path / "cut", *common, "--crop-margins")
    whole, shown_whole = dry_run_with_lines(inputs, tmp_path / "whole", *common)
    cropped = cut["not_sent"]["cropped_margins"]
    saved = whole["image_tokens"] - cut["image_tokens"]
    assert saved > 0
    assert cropped["pages"] == cut["cropped_pages"] == 2 * len(CROPPED_PAGES)
    assert cropped["tokens_saved"] == saved
    # The whole pages' tokens: all the pages' but the page sent whole in both runs.
    assert cropped["image_tokens"] == cut["cropped_whole_image_tokens"] < whole["image_tokens"]
    assert cropped["image_tokens"] - saved == cut["cropped_image_tokens"]
    assert cropped["share"] == pytest.approx(saved / (cut["prompt_tokens"] + saved), abs=1e-6)
    price = DEFAULT_PRICES.price_of("openai", cut["model"])
    assert price is not None
    assert cropped["cost_online"] == pytest.approx(price.cost(saved, 0), abs=1e-6)
    assert cropped["cost_batch"] == pytest.approx(price.cost(saved, 0) / 2, abs=1e-6)
    pages = f"cropped margins: {cropped['pages']} pages cut to their content box"
    whole_tokens = f"of the {cropped['image_tokens']:,} image tokens they cost whole"
    assert f"{pages} save {saved:,} {whole_tokens} (" in shown
    assert whole["not_sent"]["cropped_margins"] == CROP_OFF
    assert whole["cropped_pages"] == 0
    assert f"cropped margins: {CROP_OFF}" in shown_whole


def test_a_document_schema_counts_the_pages_of_its_requests(inputs: Path, tmp_path: Path) -> None:
    common = ("--model", "m", "--schema", "receipt")
    cut, _ = dry_run_with_lines(inputs, tmp_path / "cut", *common, "--crop-margins")
    whole, _ = dry_run_with_lines(inputs, tmp_path / "whole", *common)
    cropped = cut["not_sent"]["cropped_margins"]
    assert cropped["pages"] == 2 * len(CROPPED_PAGES)
    assert cropped["tokens_saved"] == whole["image_tokens"] - cut["image_tokens"] > 0
    # A bare URL is priced as self-hosted: nothing saved in money.
    assert (cropped["cost_online"], cropped["cost_batch"]) == (0.0, 0.0)


def test_the_embedded_engine_counts_pages_only(inputs: Path, tmp_path: Path) -> None:
    args = ["run", str(inputs), "--out", str(tmp_path / "out"), "--dry-run"]
    result = CliRunner().invoke(app, [*args, "--json", "--crop-margins"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["not_sent"]["cropped_margins"] == {"pages": 2 * len(CROPPED_PAGES)}
    assert "cropped_image_tokens" not in figures
    shown = CliRunner().invoke(app, [*args, "--crop-margins"], catch_exceptions=False)
    assert (
        f"cropped margins: {2 * len(CROPPED_PAGES)} pages cut to their content box\n"
        in shown.stdout
    )
