"""Pages per second of one long PDF on a Dask LocalCluster of 1 worker against 2 workers.

A PDF of 2,000 text-less pages (marker bands, no text layer: every page is drawn, encoded
and sent) goes through the real CLI (`visionbatch run --dask local`) against the test chat
server with 200 ms of latency per request and no capacity limit, at `--concurrency 64`, so
the endpoint never holds the run back: the work is drawing pages, one rendering thread per
Dask worker. Long documents are cut into slices of `--dask-slice-pages` (200) pages, each a
shard of its own, so that workers share the PDF; the case "2 workers, unsliced" (a threshold
above the page count) shows the PDF pinned to one worker as it was before.

Figures per case: the command's wall time (Prefect's and the cluster's start included), and
pages per second over the span of the rows' `extracted_at` (first row to last: the steady
rate), with its ratio to 1 worker.

Run::

    .venv/bin/python benchmarks/dask_scaling.py            # 2,000 pages
    .venv/bin/python benchmarks/dask_scaling.py --pages 400
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "support"))

import pymupdf  # noqa: E402
from chat_server import ChatServer  # noqa: E402
from markers import draw_marker_pdf_page  # noqa: E402

from extractors.sink.store import read_rows  # noqa: E402

# `visionbatch run ARGS` with long documents sliced before shards are made. Until
# `run_on_dask` slices them itself this applies that wiring; once it does, this is a no-op (a
# slice is handed on as it is). `-c`, not this file: Dask's workers re-import the main script.
_CLI = """
import sys
from extractors.discover.page_slices import spread_long_documents
from flows.options.config import page_slicing
from flows.orchestration import dask_shards

unsliced = dask_shards.run_on_dask

async def run_on_dask(plan, *given):
    *before, paths, tracker = given  # the discovered inputs come before the tracker
    slicing = page_slicing(plan.request, plan.secrets)
    return await unsliced(plan, *before, spread_long_documents(paths, slicing), tracker)

dask_shards.run_on_dask = run_on_dask
from flows.commands.cli import main
sys.argv = ["visionbatch", "run", *sys.argv[1:]]
main()
"""


@dataclass(frozen=True)
class Case:
    label: str
    workers: int
    slice_pages: int


@dataclass(frozen=True)
class Figures:
    wall: float
    rows: int
    ok: int
    steady: float  # pages per second, first row to last


def run_case(case: Case, pdf: Path, out: Path, server: ChatServer, env: dict[str, str]) -> Figures:
    arguments = [
        str(pdf),
        "--out",
        str(out),
        "--base-url",
        server.base_url,
        "--model",
        "pixtral-12b-2409",
        "--text-layer",
        "off",
        "--concurrency",
        "64",
        "--dask",
        "local",
        "--dask-workers",
        str(case.workers),
        "--dask-slice-pages",
        str(case.slice_pages),
    ]
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _CLI, *arguments],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"{case.label}: exit {done.returncode}\n{done.stderr[-3000:]}")
    rows = pl.DataFrame(read_rows(out / "pages"))
    times = rows["extracted_at"]
    span = (times.max() - times.min()).total_seconds()  # type: ignore[operator, union-attr]
    ok = rows.filter(pl.col("status") == "ok").height
    return Figures(wall, rows.height, ok, rows.height / span if span > 0 else float("nan"))


def marked_pdf(path: Path, pages: int) -> None:
    """A PDF of marker pages and no text: page k carries the marker value k."""
    document = pymupdf.open()
    try:
        for number in range(1, pages + 1):
            draw_marker_pdf_page(document.new_page(), number)
        document.save(str(path), garbage=3, deflate=True)
    finally:
        document.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000, help="pages of the PDF")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per request")
    parser.add_argument("--slice-pages", type=int, default=200)
    given = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="visionbatch-dask-scaling-"))
    pdf = work / "doc_1.pdf"
    marked_pdf(pdf, given.pages)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("VISIONBATCH_")},
        "PREFECT_HOME": str(work / "prefect"),
        "VISIONBATCH_PREFECT_SERVER": "temporary",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "COLUMNS": "160",
    }
    unsliced = given.pages + 1
    cases = [
        Case("1 worker", 1, given.slice_pages),
        Case("2 workers", 2, given.slice_pages),
        Case("2 workers, unsliced", 2, unsliced),
    ]
    results: dict[str, Figures] = {}
    with ChatServer(latency=given.latency) as server:
        for index, case in enumerate(cases):
            results[case.label] = run_case(case, pdf, work / f"out-{index}", server, env)
            print(f"{case.label}: {results[case.label]}", file=sys.stderr, flush=True)
    base = results["1 worker"].steady
    print(
        f"{given.pages}-page PDF, no text layer; test server {given.latency * 1000:.0f} ms a "
        f"request, --concurrency 64; --dask-slice-pages {given.slice_pages}\n"
    )
    print("| case | wall | rows (ok) | pages/s, first row to last | vs 1 worker |")
    print("|---|---|---|---|---|")
    for case in cases:
        got = results[case.label]
        print(
            f"| {case.label} | {got.wall:.1f} s | {got.rows} ({got.ok}) | {got.steady:.1f} "
            f"| {got.steady / base:.2f} |"
        )


if __name__ == "__main__":
    main()
