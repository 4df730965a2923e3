"""Endpoint saturation and orchestration overhead, through the real CLI and flow.

Saturation: 200 single-page documents and 20 documents of 12 pages against the test server on
127.0.0.1 answering after 500 ms, `--concurrency 16`. Efficiency is ceil(requests / 16) x 0.5 s
over the run's wall time (the flow's own, from its start to its summary; Prefect's start-up
before the flow is shown apart). The server's view is shown too: the mean number of requests
it held over the time it was answering them, out of 16.

Overhead: the same documents against a server answering at once; the run's wall time per page
over the wall time per page of preparing them alone (`prep.prepare`, every core).

    .venv/bin/python benchmarks/saturation.py
"""

import asyncio
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import Measurement, print_measurements, run_cli, text_pdf

# isort: split

from chat_server import ChatServer, RecordedRequest
from prep import prepare

from extractors.load.worker import available_cores

CONCURRENCY = 16
LATENCY = 0.5


def inputs(folder: Path) -> Path:
    """200 single-page and 20 twelve-page letter PDFs of dense text (440 pages)."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(200):
        text_pdf(folder / f"single_{index:03d}.pdf", 1, seed=index)
    for index in range(20):
        text_pdf(folder / f"multi_{index:02d}.pdf", 12, seed=1000 + index)
    return folder


def _run(folder: Path, out: Path, latency: float) -> tuple[float, float, list[RecordedRequest]]:
    """(run wall from the flow's summary, CLI wall, the server's records) of one run."""
    shutil.rmtree(out, ignore_errors=True)
    with ChatServer(latency=latency, read_markers=False) as server:
        env = {"VISIONBATCH_BASE_URL": server.base_url, "VISIONBATCH_API_KEY": "bench-key"}
        arguments = [str(folder), "--out", str(out), "--model", "pixtral-12b-2409"]
        arguments += ["--concurrency", str(CONCURRENCY)]
        run = run_cli(arguments, env).check()
        if run.number("pages ok") != 440:
            raise RuntimeError(f"expected 440 pages ok:\n{run.stdout}")
        return run.number("wall time"), run.wall, list(server.requests)


def occupancy(requests: list[RecordedRequest]) -> tuple[float, float]:
    """(mean requests held by the server over its busy span, that span in seconds)."""
    first = min(r.started_at for r in requests)
    last = max(r.finished_at for r in requests)
    held = sum(r.finished_at - r.started_at for r in requests)
    return held / (last - first), last - first


def measure(folder: Path) -> list[Measurement]:
    documents = inputs(folder / "in")
    out = folder / "out"
    run_wall, cli_wall, requests = _run(documents, out, LATENCY)
    ideal = math.ceil(len(requests) / CONCURRENCY) * LATENCY
    held, span = occupancy(requests)
    mean_latency = sum(r.finished_at - r.started_at for r in requests) / len(requests)
    zero_run_wall, zero_cli_wall, zero_requests = _run(documents, out, 0.0)
    paths = sorted(documents.iterdir())
    started = time.perf_counter()
    prepared = asyncio.run(prepare(paths, available_cores()))
    prep_seconds = time.perf_counter() - started
    per_page_run, per_page_prep = zero_run_wall / 440, prep_seconds / prepared
    return [
        Measurement(
            "saturation",
            "efficiency: ideal / run wall",
            ideal,
            run_wall,
            ">= 0.95",
            ideal / run_wall >= 0.95,
            f"{len(requests)} requests, ideal {ideal:.1f} s, run {run_wall:.1f} s, "
            f"Prefect start-up and exit {cli_wall - run_wall:.1f} s more",
        ),
        Measurement(
            "saturation",
            "requests held by the server / 16",
            held,
            float(CONCURRENCY),
            "",
            None,
            f"over its {span:.2f} s busy span; a request took {mean_latency * 1000:.0f} ms "
            f"at the server on average (500 ms asked)",
        ),
        Measurement(
            "overhead",
            "run wall per page / prep-only wall per page",
            per_page_run * 1000,
            per_page_prep * 1000,
            "<= 1.2",
            per_page_run / per_page_prep <= 1.2,
            f"zero-latency server, {len(zero_requests)} requests; ms per page; with Prefect's "
            f"start-up the CLI took {zero_cli_wall:.1f} s ({zero_cli_wall / 440 * 1000:.0f} ms "
            "per page)",
        ),
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        print_measurements(measure(Path(scratch)))


if __name__ == "__main__":
    sys.exit(main())
