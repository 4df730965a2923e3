"""`--pages` from the command line: malformed values are refused in one line with exit 2
before anything starts, the dry run counts the selected pages only, and a run writes their
rows only."""

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from chat_server import ChatServer
from document_answers import pages_of
from environment import without_endpoint_settings
from harness import run
from markers import make_marked_pdf
from repo_paths import REPO
from typer.testing import CliRunner

from flows.commands.cli import app


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("5-2", "--pages: '5-2' ends before it starts"),
        ("x", "--pages: 'x' is not a page, a range (2-5, 10-) or a count from the end (-3)"),
        ("0", "--pages: '0': pages count from 1 (and -1 is the last page)"),
    ],
)
def test_a_malformed_selection_is_one_line_and_exit_2(
    tmp_path: Path, value: str, says: str
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(tmp_path), "--out", str(out), "--pages", value])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"visionbatch: error: {says}"]
    assert not out.exists()  # refused before anything started


def test_the_console_script_refuses_a_reversed_range_on_stderr(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "flows", "run", str(tmp_path), "--out", str(tmp_path / "o")]
    completed = subprocess.run(
        [*command, "--pages", "1-3,9-4"],
        cwd=REPO,
        env=without_endpoint_settings(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 2 and completed.stdout == ""
    assert completed.stderr.splitlines() == [
        "visionbatch: error: --pages: '9-4' ends before it starts"
    ]


def test_the_help_shows_the_option_among_the_input_selection() -> None:
    result = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    lines = result.output.splitlines()
    panels = [(i, line) for i, line in enumerate(lines) if line.startswith("╭─ ")]
    (at,) = [i for i, line in enumerate(lines) if "--pages" in line]
    panel = [line for i, line in panels if i < at][-1]
    assert "Input selection" in panel
    assert "RANGES" in lines[at] and "[default: every page]" in lines[at]


def _dry_run(inputs: Path, out: Path, server: ChatServer, pages: str) -> dict[str, object]:
    args = ["run", str(inputs), "--out", str(out), "--base-url", server.base_url, "--model", "m"]
    result = CliRunner().invoke(
        app, [*args, "--dry-run", "--json", "--pages", pages], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    figures: dict[str, object] = json.loads(result.stdout)
    return figures


def test_the_dry_run_counts_only_the_selected_pages(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    make_marked_pdf(inputs / "doc_1.pdf", 1, 6)
    make_marked_pdf(inputs / "doc_2.pdf", 2, 2)
    out = tmp_path / "out"
    with ChatServer() as server:
        before = _dry_run(inputs, out, server, "1-2,-1")
        run([inputs], out, base_url=server.base_url, model="m", pages="1-2,-1")
        sent = sum(r.n_images for r in server.requests)
        wider = _dry_run(inputs, out, server, "1-6")
    assert before["pages"] == sent == 5  # 1, 2 and 6 of doc_1; both pages of doc_2
    assert (wider["pages"], wider["pages_done"], wider["images"]) == (8, 5, 3)


@pytest.mark.slow
def test_a_run_through_the_flow_writes_the_selected_pages_only(tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "doc_1.pdf", 1, 6)
    out = tmp_path / "out"
    with ChatServer() as server:
        env = {"VISIONBATCH_BASE_URL": server.base_url, "VISIONBATCH_MODEL": "m"}
        arguments = [str(tmp_path / "doc_1.pdf"), "--out", str(out), "--pages", "1-2,-1"]
        result = CliRunner().invoke(app, ["run", *arguments], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert sorted(p for r in server.requests for _, p in pages_of(r)) == [1, 2, 6]
    df = pl.read_parquet(str(out / "pages" / "*.parquet")).sort("page")
    assert df["page"].to_list() == [1, 2, 6] and df["status"].unique().to_list() == ["ok"]
