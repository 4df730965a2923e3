"""`--dry-run --text-layer auto` counts as many pages read from their text layer as the run's
judge finds usable, on lying layers, honest ones and scans: it judges layers with the quick
judge (no words, no Markdown, the hidden-text trace only where text may be hidden) and must
count the same pages as the full one."""

import json
from pathlib import Path
from typing import Any

import pymupdf
from lying_pdfs import honest_pages, lying_pages
from text_layer_pdfs import build_kinds_pdf
from typer.testing import CliRunner

from extractors.load.text_layer import judge_text_layer, read_text_layer
from flows.commands.cli import app

_BASE = ["--base-url", "http://127.0.0.1:9/v1", "--model", "m"]


def _dry_run(inputs: Path, out: Path, *extra: str) -> dict[str, Any]:
    args = ["run", str(inputs), "--out", str(out), *_BASE, "--dry-run", "--json", *extra]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    figures: dict[str, Any] = json.loads(result.stdout)
    return figures


def _usable_pages(folder: Path, judge: Any) -> int:
    count = 0
    for path in sorted(folder.glob("*.pdf")):
        with pymupdf.open(path) as document:
            count += sum(1 for page in document if judge(page).usable)
    return count


def test_the_dry_run_counts_the_pages_the_runs_judge_reads_from_their_layer(
    tmp_path: Path,
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    built = [*lying_pages(inputs), *honest_pages(inputs)]
    build_kinds_pdf(inputs / "kinds.pdf")
    pages = len(built) + 4

    auto = _dry_run(inputs, tmp_path / "out-auto", "--text-layer", "auto")
    off = _dry_run(inputs, tmp_path / "out-off", "--text-layer", "off")

    usable = _usable_pages(inputs, read_text_layer)
    assert usable == _usable_pages(inputs, judge_text_layer)
    assert 0 < usable < pages  # some layers lie or are scans: those pages are drawn
    assert (auto["pages"], auto["text_layer_pages"]) == (pages, usable)
    assert auto["images"] == pages - usable
    assert (off["text_layer_pages"], off["images"]) == (0, pages)
