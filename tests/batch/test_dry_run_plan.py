"""`--dry-run` as a plan for a backfill: one JSON document whatever the inputs, unreadable files
and why, the time online under the limits, the batch files, subtotals, document schemas and
the embedded engine."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from markers import make_marked_image, make_marked_pdf
from repo_paths import CORPUS, REPO
from typer.testing import CliRunner

from extractors.document.dry_run_batch import BatchFilePlan, batch_file_plan
from extractors.document.dry_run_time import online_time
from extractors.options import BatchOptions
from flows.commands.cli import app

_CYCLE = CORPUS / "pdfs" / "malformed_page_tree_cycle.pdf"
_BASE = ["--base-url", "http://127.0.0.1:9/v1", "--model", "m"]


def _inputs(folder: Path) -> Path:
    """Two folders: marked PDFs and an image, a PDF that is not one, an encrypted PDF."""
    (folder / "scans").mkdir(parents=True)
    make_marked_pdf(folder / "doc_1.pdf", 1, 5)
    make_marked_pdf(folder / "scans" / "doc_2.pdf", 2, 3)
    make_marked_image(folder / "scans" / "img_3.png", 3)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    locked = pymupdf.open()
    locked.new_page()
    locked.save(
        folder / "scans" / "locked.pdf",
        encryption=pymupdf.PDF_ENCRYPT_AES_256,
        user_pw="secret",
        owner_pw="owner",
    )
    locked.close()
    return folder


def _dry_run(inputs: Path, out: Path, *extra: str) -> dict[str, Any]:
    args = ["run", str(inputs), "--out", str(out), *_BASE, "--dry-run", "--json", *extra]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    figures: dict[str, Any] = json.loads(result.stdout)
    return figures


@pytest.mark.skipif(not _CYCLE.is_file(), reason="../shared/corpus is missing")
def test_the_json_parses_with_a_damaged_pdf_whose_errors_mupdf_prints(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path / "in")
    shutil.copy(_CYCLE, inputs / "cycle.pdf")
    command = [sys.executable, "-m", "flows", "run", str(inputs), "--out", str(tmp_path / "out")]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VISIONBATCH_")}
    done = subprocess.run(
        [*command, *_BASE, "--dry-run", "--json"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)  # nothing of MuPDF's reached stdout
    assert "MuPDF" not in done.stdout
    assert figures["files"] == 6 and figures["unreadable"] == 2


def test_unreadable_files_are_listed_with_their_reasons(tmp_path: Path) -> None:
    figures = _dry_run(_inputs(tmp_path / "in"), tmp_path / "out")
    reasons = {Path(u["path"]).name: u["reason"] for u in figures["unreadable_files"]}
    assert sorted(reasons) == ["broken.pdf", "locked.pdf"]
    assert "password" in reasons["locked.pdf"]
    assert figures["unreadable"] == 2 and figures["files"] == 5
    assert figures["pages"] == 5 + 3 + 1


def test_subtotals_per_folder_and_per_format_add_up_to_the_totals(tmp_path: Path) -> None:
    figures = _dry_run(_inputs(tmp_path / "in"), tmp_path / "out")
    assert {Path(folder).name for folder in figures["by_folder"]} == {"in", "scans"}
    assert sorted(figures["by_format"]) == ["pdf", "png"]
    for groups in (figures["by_folder"], figures["by_format"]):
        for name in ("files", "unreadable", "pages", "requests", "images", "prompt_tokens"):
            assert sum(group[name] for group in groups.values()) == figures[name], name
    scans = next(v for k, v in figures["by_folder"].items() if k.endswith("scans"))
    assert (scans["files"], scans["pages"], scans["unreadable"]) == (3, 4, 1)


def test_the_time_online_follows_concurrency_latency_and_rpm(tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "doc.pdf", 1, 20)
    one_a_request = ["--max-images", "1", "--dry-run-latency", "30"]
    slow = _dry_run(tmp_path / "doc.pdf", tmp_path / "a", *one_a_request, "--concurrency", "2")
    wide = _dry_run(tmp_path / "doc.pdf", tmp_path / "b", *one_a_request, "--concurrency", "20")
    capped = _dry_run(
        tmp_path / "doc.pdf", tmp_path / "c", *one_a_request, "--concurrency", "20", "--rpm", "2"
    )
    assert slow["requests"] == 20
    assert (slow["online_time"]["seconds"], slow["online_time"]["bound_by"]) == (300, "latency")
    assert wide["online_time"]["seconds"] == 30
    # 20 requests at 2 a minute: 10 minutes, whatever the concurrency.
    assert (capped["online_time"]["seconds"], capped["online_time"]["bound_by"]) == (600, "rpm")


def test_a_hundred_requests_at_ten_a_minute_take_at_least_ten_minutes() -> None:
    timed = online_time(100 * 5.0, requests=100, tokens=10**6, concurrency=50, rpm=10)
    assert timed.seconds >= 600 and timed.bound_by == "rpm"
    by_tokens = online_time(100 * 5.0, requests=100, tokens=10**6, concurrency=50, tpm=100_000)
    assert (by_tokens.seconds, by_tokens.bound_by) == (600, "tpm")


def test_batch_files_split_at_the_line_and_byte_limits() -> None:
    by_lines = BatchFilePlan(max_lines=3, max_bytes=10**9)
    for _ in range(7):
        by_lines.add(100)
    assert [(f.lines, f.bytes) for f in by_lines.files] == [(3, 300), (3, 300), (1, 100)]
    by_bytes = BatchFilePlan(max_lines=100, max_bytes=250)
    for _ in range(5):
        by_bytes.add(100)
    assert [f.lines for f in by_bytes.files] == [2, 2, 1]
    # Mistral documents 100,000 requests a batch: the writer's 50,000 is the smaller.
    assert batch_file_plan(BatchOptions(flavour="mistral")).max_lines == 50_000
    assert batch_file_plan(BatchOptions(flavour="mistral", max_lines=10**6)).max_lines == 100_000


def test_the_dry_run_plans_batch_files_of_the_requests(tmp_path: Path) -> None:
    figures = _dry_run(_inputs(tmp_path / "in"), tmp_path / "out", "--max-images", "2")
    batch = figures["batch"]
    assert batch["lines"] == figures["requests"] == 3 + 2 + 1
    assert len(batch["files"]) == 1 and batch["files"][0]["lines"] == 6
    # Each line carries its images in base64: more bytes than images.
    assert batch["bytes"] > figures["images"] * 10_000


def test_a_document_schema_is_planned(tmp_path: Path) -> None:
    figures = _dry_run(_inputs(tmp_path / "in"), tmp_path / "out", "--schema", "receipt")
    assert figures["schema"] == "receipt"
    assert figures["requests"] == 3  # one request per readable document: each fits in one
    assert figures["images"] == 9 and figures["unreadable"] == 2
    assert figures["batch"]["lines"] == 3


def test_the_embedded_engines_dry_run_shows_pages_and_cpu_time_not_tokens(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path / "in")
    args = ["run", str(inputs), "--out", str(tmp_path / "out"), "--dry-run"]
    environment = {k: "" for k in os.environ if k.startswith("VISIONBATCH_")}
    shown = CliRunner().invoke(app, args, env=environment, catch_exceptions=False)
    as_json = CliRunner().invoke(app, [*args, "--json"], env=environment, catch_exceptions=False)
    figures = json.loads(as_json.stdout)
    assert figures["provider"] == "local" and figures["batch"] is None
    assert figures["online_time"]["pages_read"] == figures["images"] == 9
    assert figures["online_time"]["cpu_seconds"] > 0
    assert not {"prompt_tokens", "image_tokens", "estimated_cost_online"} & set(figures)
    assert "tokens" not in json.dumps(figures["by_folder"])
    assert "CPU" in shown.stdout and "tokens" not in shown.stdout
