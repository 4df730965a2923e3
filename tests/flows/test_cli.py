"""The command line and the real Prefect flow (a temporary Prefect server: slow, so few tests)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from chat_server import ChatServer
from document_answers import receipt_answer
from environment import without_endpoint_settings
from markers import encode_value, expected_text, make_marked_image, make_marked_pdf
from repo_paths import REPO, SAMPLES
from typer.testing import CliRunner

from flows.commands.cli import app

pytestmark = pytest.mark.slow
SECRET = "sk-visionbatch-SECRET-5f1c9e"


def invoke(*args: str, env: dict[str, str] | None = None) -> "object":
    return CliRunner().invoke(app, ["run", *args], env=env, catch_exceptions=False)


def test_run_against_an_endpoint_writes_one_ok_row_per_page(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    make_marked_pdf(tmp_path / "in" / "doc_1.pdf", 1, 14)
    make_marked_image(tmp_path / "in" / "img_2.png", 2)
    out = tmp_path / "out"
    with ChatServer(api_key=SECRET) as server:
        env = {
            "VISIONBATCH_BASE_URL": server.base_url,
            "VISIONBATCH_API_KEY": SECRET,
            "VISIONBATCH_MODEL": "pixtral-12b-2409",
        }
        arguments = ["--out", str(out), "--concurrency", "4", "--packing", "full"]
        result = invoke(str(tmp_path / "in"), *arguments, env=env)
        assert result.exit_code == 0, result.output
        assert sorted(r.n_images for r in server.requests) == [1, 2, 12]
    df = pl.scan_parquet(str(out / "pages" / "**" / "*.parquet")).collect()
    assert df.height == 15 and df["status"].unique().to_list() == ["ok"]
    for source, page, text in df.select("source", "page", "text").iter_rows():
        doc_id = int(Path(source).stem.split("_")[1])
        assert text == expected_text(encode_value(doc_id, page))
    assert "pages ok" in result.output and "15" in result.output
    # The key reaches the endpoint and nothing else: not the Parquet, not the output.
    assert SECRET not in result.output
    for part in (out / "pages").glob("*.parquet"):
        assert SECRET.encode() not in part.read_bytes()


def test_refused_key_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    make_marked_image(tmp_path / "img_2.png", 2)
    with ChatServer(api_key="the-right-key") as server:
        env = {"VISIONBATCH_API_KEY": SECRET}
        result = invoke(
            str(tmp_path / "img_2.png"),
            "--out",
            str(tmp_path / "out"),
            "--base-url",
            server.base_url,
            "--model",
            "m",
            env=env,
        )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-1].startswith("visionbatch: error: authentication refused")
    assert SECRET not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing-folder", "--out", "OUT"], "input not found"),
        (["IN", "--out", "OUT", "--provider", "nope"], "unknown provider"),
        (["IN", "--out", "OUT", "--schema", "nope"], "unknown schema"),
        (["IN", "--out", "OUT", "--provider", "scaleway"], "needs an API key"),
        (["IN", "--out", "/proc/visionbatch-out"], "not writable"),
    ],
)
def test_runs_that_cannot_proceed_exit_non_zero(
    tmp_path: Path, args: list[str], message: str
) -> None:
    make_marked_image(tmp_path / "img_2.png", 2)
    args = [
        a.replace("IN", str(tmp_path / "img_2.png")).replace("OUT", str(tmp_path / "out"))
        if a in ("IN", "OUT")
        else a
        for a in args
    ]
    if args[0] == "missing-folder":
        args[0] = str(tmp_path / "missing-folder")
    # An endpoint that listens: a dead one would be refused first (preflight), not these.
    with ChatServer() as server:
        result = invoke(*args, "--base-url", server.base_url, "--model", "m")
    assert result.exit_code == 1
    assert message in result.output.splitlines()[-1]


def test_bad_flag_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["run", str(tmp_path), "--out", str(tmp_path), "--concurrency", "0"]
    )
    assert result.exit_code == 2


def test_console_script_runs_the_embedded_engine_offline(tmp_path: Path) -> None:
    """`python -m flows run` with no endpoint: the local OCR engine reads real sample pages."""
    inputs = [SAMPLES / "letter_3pages.pdf", SAMPLES / "receipt.png"]
    env = without_endpoint_settings()
    command = [sys.executable, "-m", "flows", "run", *map(str, inputs)]
    completed = subprocess.run(
        [*command, "--out", str(tmp_path / "out"), "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    # --json: one object on stdout, for scripts; real figures for the embedded engine.
    summary = json.loads(completed.stdout)
    assert summary["pages_ok"] == 4 and summary["requests"] == 1
    assert summary["prompt_tokens"] is None and summary["completion_tokens"] is None
    assert summary["estimated_cost"].startswith("self-hosted")
    assert 0 < summary["wall_seconds"] <= summary["command_seconds"]
    assert 0 < summary["first_request_seconds"] < summary["wall_seconds"]
    df = pl.read_parquet(str(tmp_path / "out" / "pages" / "*.parquet")).sort("source", "page")
    assert df.height == 4 and df["status"].unique().to_list() == ["ok"]
    assert df["provider"].unique().to_list() == ["local"]
    # The letter's pages are read from their text layer, exactly; the receipt is OCR'd.
    assert df["text_source"].to_list() == ["text_layer"] * 3 + ["ocr"]
    assert "Harborview Office Interiors, Inc." in df["text"][0]
    letter = " ".join(df.filter(pl.col("source").str.ends_with(".pdf"))["text"].to_list()).lower()
    receipt = df.filter(pl.col("source").str.ends_with(".png"))["text"][0].upper()
    assert "dear" in letter.replace(" ", "") or "sincerely" in letter.replace(" ", "")
    assert "TOTAL" in receipt.replace(" ", "")


def test_the_run_is_a_prefect_flow_with_shard_tasks_and_a_summary_artifact(tmp_path: Path) -> None:
    import asyncio
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterId,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    for index in range(3):
        make_marked_image(tmp_path / f"img_{index + 2}.png", index + 2)
    with ChatServer() as server:
        env = {"VISIONBATCH_API_KEY": SECRET}
        result = invoke(
            str(tmp_path),
            "--out",
            str(tmp_path / "out"),
            "--base-url",
            server.base_url,
            "--model",
            "m",
            "--shard-size",
            "1",
            env=env,
        )
    assert result.exit_code == 0, result.output

    async def recorded() -> tuple[object, list[object], list[object]]:
        async with get_client() as client:
            runs = await client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)
            only_this = FlowRunFilter(id=FlowRunFilterId(any_=[runs[0].id]))
            for _ in range(60):  # task runs reach the server's database a little later
                tasks = await client.read_task_runs(flow_run_filter=only_this)
                if len(tasks) >= 3:
                    break
                await asyncio.sleep(0.5)
            artifacts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=["visionbatch-run-summary"])
                ),
                flow_run_filter=only_this,
            )
            progress = await client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=["visionbatch-progress"])
                ),
                flow_run_filter=only_this,
            )
            return runs[0], tasks, artifacts + progress

    started = time.monotonic()
    flow_run, tasks, artifacts = asyncio.run(recorded())
    assert flow_run.state.is_completed(), flow_run.state  # type: ignore[attr-defined]
    assert {t.name.rsplit("-", 1)[0] for t in tasks} == {"extract-shard"}  # type: ignore[attr-defined]
    assert len(tasks) == 3, f"{len(tasks)} task runs after {time.monotonic() - started:.0f} s"
    assert len(artifacts) == 2
    table = artifacts[0].data  # type: ignore[attr-defined]
    assert "pages_ok" in str(table)
    # A bare URL is most often the user's own server: no per-token price, said as such.
    assert '"metric": "estimated_cost", "value": "self-hosted (no per-token price)"' in str(
        table
    ), table
    # The progress artifact reached 100% of the 3 documents counted.
    assert float(artifacts[1].data) == 100.0  # type: ignore[attr-defined]
    assert SECRET not in str(flow_run.parameters) + str(table)  # type: ignore[attr-defined]


def test_the_summary_reports_throttling_and_learned_limits(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    make_marked_pdf(tmp_path / "in" / "doc_1.pdf", 1, 10)
    for index in range(40):
        make_marked_image(tmp_path / "in" / f"img_{index + 2}.jpg", index + 2, size=(300, 400))
    out = tmp_path / "out"
    # Room for 2 requests at once and 4 images per request (vLLM's 400 wording). Answers slow
    # enough that requests pile up past the room even when a loaded machine draws slowly: the
    # 429s must be sustained (a quarter of the outcomes) for the concurrency to be lowered.
    with ChatServer(latency=0.5, capacity=2, capacity_retry_ms=50, max_images=4) as server:
        env = {"VISIONBATCH_BASE_URL": server.base_url, "COLUMNS": "200"}
        # Packed full: the ten-page document's first request carries more than 4 images.
        arguments = ["--out", str(out), "--model", "m", "--concurrency", "16"]
        result = invoke(str(tmp_path / "in"), *arguments, "--packing", "full", env=env)
        assert result.exit_code == 0, result.output
        throttled = server.over_capacity
    assert throttled > 0
    assert "lowered to" in result.output and "on sustained 429s" in result.output
    reported = re.search(r"429 answers \(waited out\)\W+(\d+)", result.output)
    assert reported is not None and int(reported.group(1)) == throttled
    assert "images per request lowered to 4" in result.output
    df = pl.read_parquet(str(out / "pages" / "*.parquet"))
    assert df.height == 50 and df["status"].unique().to_list() == ["ok"]


def test_receipt_run_then_eval_prints_accuracy_per_field_and_the_misses(tmp_path: Path) -> None:
    inputs, truth = tmp_path / "in", tmp_path / "truth"
    inputs.mkdir()
    truth.mkdir()
    make_marked_image(inputs / "receipt_3.jpg", 3)
    make_marked_pdf(inputs / "receipt_4.pdf", 4, 2)
    # SROIE style, as printed: other date formats, currency prefixes, other spacing and case.
    (truth / "receipt_3.json").write_text(
        '{"company": "SHOP  3", "date": "03-03-24", "address": "1 MAIN ST", "total": "RM 3.50"}'
    )
    (truth / "receipt_4.json").write_text(
        '{"company": "shop 4", "date": "04/03/2024", "address": "2 HIGH ST", "total": "4.60"}'
    )
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("Dates are day first.")
    out = tmp_path / "out"
    with ChatServer(document_answer=receipt_answer) as server:
        env = {"VISIONBATCH_BASE_URL": server.base_url, "VISIONBATCH_MODEL": "m", "COLUMNS": "200"}
        args = ["--out", str(out), "--schema", "receipt", "--prompt", str(prompt), "--seed", "3"]
        result = invoke(str(inputs), *args, env=env)
        assert result.exit_code == 0, result.output
        assert {r.seed for r in server.requests} == {3}
        assert all("Dates are day first." in " ".join(r.texts) for r in server.requests)
    assert "documents ok" in result.output and str(out / "receipt") in result.output
    evaluated = CliRunner().invoke(
        app, ["eval", str(out), "--truth", str(truth)], env={"COLUMNS": "200"}
    )
    assert evaluated.exit_code == 0, evaluated.output
    lines = {line.split()[1]: line for line in evaluated.output.splitlines() if "│" in line}
    assert "2/2" in lines["company"] and "2/2" in lines["date"]
    assert "1/2" in lines["total"] and "0.500" in lines["total"]
    assert "0/2" in lines["address"]
    assert "receipt_4" in evaluated.output and "4.60" in evaluated.output


def test_eval_without_a_dataset_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", str(tmp_path), "--truth", str(tmp_path)])
    assert result.exit_code == 1 and "no rows in" in result.output


def test_providers_lists_every_preset() -> None:
    result = CliRunner().invoke(app, ["providers"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name in ("scaleway-managed", "predictionguard", "gravix", "openai", "ollama", "local"):
        assert name in result.output
    assert "api.gravixlayer.com/v1/inference" in result.output


def test_providers_are_readable_at_80_columns_and_in_a_pipe() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "flows", "providers"],
        cwd=REPO,
        env={**without_endpoint_settings(), "COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0
    lines = completed.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    # Nothing cut short: every base URL and model whole.
    assert "…" not in completed.stdout
    assert "https://api.gravixlayer.com/v1/inference" in completed.stdout
    assert "mistral/pixtral-12b-2409:bf16" in completed.stdout


def help_text(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    return result.output


def panel(text: str, title: str) -> str:
    """The lines of one help panel (`╭─ Output ─...╮` to its `╰`)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if f"─ {title} ─" in line)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("╰"))
    return "\n".join(lines[start:end])


@pytest.mark.parametrize("command", [(), ("server",), ("run",), ("serve",)])
def test_no_help_names_a_python_type(command: tuple[str, ...]) -> None:
    text = help_text(*command)
    assert "--help" in text and "<bool>" not in text and "<" not in text.replace("<=", "")


def test_run_help_has_an_output_panel_and_shows_every_default() -> None:
    text = help_text("run")
    output = panel(text, "Output")
    assert [flag for flag in ("--out", "--quiet", "--json") if flag in output] == [
        "--out",
        "--quiet",
        "--json",
    ]
    assert "--out" not in panel(text, "Input selection")
    flat = " ".join(text.split())
    for shown in (
        "[default: the provider's: 8 for scaleway, 2 for local]",  # --concurrency
        "[default: the provider's: 120 s for scaleway, 600 s for local]",  # --timeout
        "[default: the cores: ",  # --render-workers
        "[default: 200]",  # --max-dpi
    ):
        assert shown in flat, shown
    assert "(the provider's" not in flat  # a worded default is shown bare, not in parentheses


def test_version_comes_from_the_package_metadata() -> None:
    from importlib.metadata import version

    result = CliRunner().invoke(app, ["--version"])
    assert (result.exit_code, result.output) == (0, f"visionbatch {version('visionbatch')}\n")


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--model", "gpt-9-vision"], "--model needs"),
        (["--temperature", "0.4", "--seed", "3"], "--temperature, --seed need"),
        (["--header", "X-Title=app"], "--header (or VISIONBATCH_HEADERS) needs"),
    ],
)
def test_endpoint_options_without_an_endpoint_are_refused_at_once(
    tmp_path: Path, flags: list[str], named: str
) -> None:
    """The embedded engine would ignore them and stamp rows with what did not run."""
    make_marked_image(tmp_path / "img_2.png", 2)
    env = {name: None for name in ("VISIONBATCH_BASE_URL", "VISIONBATCH_PROVIDER")}
    env |= {"VISIONBATCH_MODEL": None, "VISIONBATCH_HEADERS": None}
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["run", str(tmp_path / "img_2.png"), "--out", str(out), *flags], env=env
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith(f"visionbatch: error: {named} a vision endpoint")
    assert "embedded OCR engine (rapidocr-ppocrv6)" in lines[0]
    assert not (out / "pages").exists()  # refused before anything started


def test_a_malformed_header_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["run", str(tmp_path), "--out", str(tmp_path / "o"), "--header", "sk-no-name-secret"],
        env={"VISIONBATCH_HEADERS": None},
    )
    assert result.exit_code == 2
    assert "a header is not NAME=VALUE" in result.output
    assert "sk-no-name-secret" not in result.output
