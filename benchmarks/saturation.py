"""Endpoint saturation by shape of work, and orchestration overhead, through the real CLI.

Saturation: against the test server on 127.0.0.1 answering after 500 ms, `--concurrency 16`,
for three shapes of work: 60 one-page documents, 20 documents of 12 pages, and a mix of 200
one-page and 20 twelve-page documents. Efficiency = ideal / (last answer - first request
start), both seen at the server, ideal = ceil(requests / 16) x 0.5 s. The delay of the first
request is the run's own figure (`--json`: from the flow's start to its first request).

Overhead: the mix against a server answering at once; the run's wall time per page over the
wall time per page of preparing the same pages alone (`prep.prepare`, every core).

The PDFs are born-digital, so the runs pass `--text-layer off`: the endpoint is measured, not
the text layer that would answer them without a request.

    .venv/bin/python benchmarks/saturation.py
"""

import asyncio
import json
import math
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import Measurement, print_measurements, run_cli, text_pdf

# isort: split

from chat_server import ChatServer, RecordedRequest
from prep import prepare

from extractors.load.worker import available_cores

CONCURRENCY = 16
LATENCY = 0.5
# (name, one-page documents, twelve-page documents)
SHAPES = (("60 x 1 page", 60, 0), ("20 x 12 pages", 0, 20), ("200 x 1 + 20 x 12", 200, 20))
FIRST_REQUEST_GOAL = 0.3


@dataclass(frozen=True)
class ShapeRun:
    pages: int
    cli_wall: float
    summary: dict[str, object]
    requests: list[RecordedRequest]

    @property
    def efficiency(self) -> tuple[float, float]:
        """(ideal seconds, seconds from the first request's start to the last answer)."""
        first = min(r.started_at for r in self.requests)
        last = max(r.finished_at for r in self.requests)
        return math.ceil(len(self.requests) / CONCURRENCY) * LATENCY, last - first


def inputs(folder: Path, singles: int, multis: int) -> Path:
    """Letter PDFs of dense text: `singles` of one page, `multis` of twelve."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(singles):
        text_pdf(folder / f"single_{index:03d}.pdf", 1, seed=index)
    for index in range(multis):
        text_pdf(folder / f"multi_{index:02d}.pdf", 12, seed=1000 + index)
    return folder


def run_shape(folder: Path, out: Path, latency: float, pages: int) -> ShapeRun:
    shutil.rmtree(out, ignore_errors=True)
    with ChatServer(latency=latency, read_markers=False) as server:
        env = {"VISIONBATCH_BASE_URL": server.base_url, "VISIONBATCH_API_KEY": "bench-key"}
        arguments = [str(folder), "--out", str(out), "--model", "pixtral-12b-2409"]
        arguments += ["--concurrency", str(CONCURRENCY), "--text-layer", "off", "--json"]
        run = run_cli(arguments, env).check()
        summary = json.loads(run.stdout)
        if summary["pages_ok"] != pages:
            raise RuntimeError(f"expected {pages} pages ok:\n{run.stdout}")
        return ShapeRun(pages, run.wall, summary, list(server.requests))


def measure(folder: Path) -> list[Measurement]:
    lines: list[Measurement] = []
    mix = folder / "in-mix"
    for name, singles, multis in SHAPES:
        documents = inputs(folder / f"in-{singles}-{multis}", singles, multis)
        shape = run_shape(documents, folder / "out", LATENCY, singles + 12 * multis)
        ideal, span = shape.efficiency
        first = float(shape.summary["first_request_seconds"])  # type: ignore[arg-type]
        lines.append(
            Measurement(
                "saturation",
                f"{name}: ideal / (last answer - first request)",
                ideal,
                span,
                ">= 0.95",
                ideal / span >= 0.95,
                f"{len(shape.requests)} requests, ideal {ideal:.1f} s, served in {span:.2f} s; "
                f"run {shape.summary['wall_seconds']} s, command {shape.cli_wall:.1f} s",
            )
        )
        lines.append(
            Measurement(
                "saturation",
                f"{name}: first request after the flow's start / 0.3 s",
                first,
                FIRST_REQUEST_GOAL,
                "<= 1.0",
                first <= FIRST_REQUEST_GOAL,
                f"{first * 1000:.0f} ms from the flow's start to its first request",
            )
        )
        if singles and multis:
            mix = documents
    zero = run_shape(mix, folder / "out", 0.0, 440)
    paths = sorted(mix.iterdir())
    started = time.perf_counter()
    prepared = asyncio.run(prepare(paths, available_cores()))
    prep_seconds = time.perf_counter() - started
    run_wall = float(zero.summary["wall_seconds"])  # type: ignore[arg-type]
    per_page_run, per_page_prep = run_wall / 440, prep_seconds / prepared
    lines.append(
        Measurement(
            "overhead",
            "run wall per page / prep-only wall per page",
            per_page_run * 1000,
            per_page_prep * 1000,
            "<= 1.2",
            per_page_run / per_page_prep <= 1.2,
            f"zero-latency server, {len(zero.requests)} requests; ms per page; with Prefect's "
            f"start-up the CLI took {zero.cli_wall:.1f} s ({zero.cli_wall / 440 * 1000:.0f} ms "
            "per page)",
        )
    )
    return lines


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        print_measurements(measure(Path(scratch)))


if __name__ == "__main__":
    sys.exit(main())
