"""vLLM offline: `--batch-file-only` writes the JSONL and its page map, submitting nothing;
`visionbatch ingest DIR OUTPUT.jsonl` reads `vllm run-batch`'s output into the dataset."""

import json
from pathlib import Path

import polars as pl
from batch_runs import batch_run
from batch_server.lines import answer_line, read_input
from markers import make_marked_image, make_marked_pdf
from page_checks import assert_every_page_once_ok
from typer.testing import CliRunner

from flows.commands.cli import app


def _vllm_run_batch(input_file: Path, output: Path, skip: int | None = None) -> None:
    """What `vllm run-batch -i input -o output` writes: one OpenAI-format line per request,
    answered here as the test chat server answers (lines in no particular order)."""
    lines = read_input(input_file.read_bytes())
    with output.open("w") as handle:
        for line in reversed(lines):
            if line.index != skip:
                _, answered = answer_line(line, None, line.index + 1)
                handle.write(json.dumps(answered) + "\n")


def test_batch_file_only_then_ingest_fills_the_dataset(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    make_marked_pdf(inputs / "doc_1.pdf", 1, 5)
    make_marked_image(inputs / "img_2.png", 2)
    out = tmp_path / "out"
    # Nothing listens at the vllm preset's URL: a request would fail the run.
    written = batch_run([inputs], out, provider="vllm", batch_file_only=True, max_images=2)

    assert not written.collected
    (input_file,) = (out / "batches").glob("*/input-0001.jsonl")
    assert (input_file.parent / "input-0001.map.jsonl").is_file()
    assert not list((out / "pages").glob("*.parquet"))
    output = tmp_path / "vllm-output.jsonl"
    _vllm_run_batch(input_file, output, skip=0)
    result = CliRunner().invoke(app, ["ingest", str(out), str(output)], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    df = pl.read_parquet(out / "pages" / "*.parquet")
    assert df.height == 6 and df.group_by("source", "page").len()["len"].max() == 1
    errors = df.filter(pl.col("status") == "error")
    skipped = read_input(input_file.read_bytes())[0]
    assert errors.height == len(skipped.body["messages"][0]["content"]) // 2
    assert errors["error"].str.contains("missing from the batch output").all()
    # Which document's pages the first request holds depends on which opened first.
    assert f"{6 - errors.height} pages ok, {errors.height} errors" in result.output
    assert df["provider"].unique().to_list() == ["vllm"]


def test_ingest_of_every_line_leaves_every_page_ok_and_rerun_finds_nothing_to_do(
    tmp_path: Path,
) -> None:
    make_marked_pdf(tmp_path / "doc_1.pdf", 1, 3)
    out = tmp_path / "out"
    batch_run([tmp_path / "doc_1.pdf"], out, provider="vllm", batch_file_only=True)
    (input_file,) = (out / "batches").glob("*/input-0001.jsonl")
    _vllm_run_batch(input_file, tmp_path / "o.jsonl")
    CliRunner().invoke(app, ["ingest", str(out), str(tmp_path / "o.jsonl")], catch_exceptions=False)

    assert_every_page_once_ok(out, 3)
    again = batch_run([tmp_path / "doc_1.pdf"], out, provider="vllm", batch_file_only=True)
    assert again.collected  # every page ok: no batch file is written
    assert len(list((out / "batches").glob("*/input-*.jsonl"))) == 2  # input and its map
    twice = CliRunner().invoke(app, ["ingest", str(out), str(tmp_path / "o.jsonl")])
    assert twice.exit_code == 1 and "no batch files written" in twice.output
