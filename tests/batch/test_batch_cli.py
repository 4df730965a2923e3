"""`visionbatch run --batch` through the real Prefect flow and the command line (slow)."""

from pathlib import Path

import polars as pl
import pytest
from batch_server import BatchServer
from markers import make_marked_image, make_marked_pdf
from typer.testing import CliRunner

from flows.commands.cli import app

pytestmark = pytest.mark.slow
SECRET = "sk-visionbatch-BATCH-SECRET-77"


def test_the_command_runs_a_batch_and_collects_it(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    make_marked_pdf(inputs / "doc_1.pdf", 1, 4)
    make_marked_image(inputs / "img_2.png", 2)
    out = tmp_path / "out"
    with BatchServer(api_key=SECRET) as server:
        env = {"VISIONBATCH_API_KEY": SECRET}
        args = [
            "run",
            str(inputs),
            "--out",
            str(out),
            "--base-url",
            server.base_url,
            "--model",
            "pixtral-12b-2409",
            "--batch",
            "--batch-poll-interval",
            "0.01",
        ]
        first = CliRunner().invoke(app, [*args, "--no-wait"], env=env, catch_exceptions=False)
        assert first.exit_code == 0, first.output
        assert "batch batch_" in first.output and "in_progress" in first.output
        assert not (out / "pages").exists() or not list((out / "pages").glob("*.parquet"))
        second = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
        assert second.exit_code == 0, second.output
        assert server.created == 1 and server.request_count == 0
    df = pl.read_parquet(out / "pages" / "*.parquet")
    assert df.height == 5 and df["status"].unique().to_list() == ["ok"]
    assert df["batch_id"].unique().to_list() == list(server.jobs)
    assert SECRET not in first.output + second.output
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
