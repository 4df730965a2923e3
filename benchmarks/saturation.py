"""Endpoint saturation by shape of work, and orchestration overhead, through the real CLI.

Saturation: against the test server on 127.0.0.1 answering after 500 ms, `--concurrency 16`,
for five shapes of work: 60 one-page documents, 20 documents of 12 pages, a mix of 200
one-page and 20 twelve-page documents, 60 one-page documents half PDFs and half full-size PNG
scans (300 DPI, RGB, with a scanner's faint noise), and 60 phone JPEGs (12 Mpx, stored
landscape with EXIF orientation 6). Efficiency = ideal / (last answer - first request
start), both seen at the server, ideal = ceil(requests / 16) x 0.5 s. The delay of the first
request is the run's own figure (`--json`: from the flow's start to its first request).

Overhead: the mix against a server answering at once; the run's wall time per page over the
wall time per page of preparing the same pages alone (`prep.prepare`, every core).

The PDFs are born-digital, so the runs pass `--text-layer off`: the endpoint is measured, not
the text layer that would answer them without a request.

    .venv/bin/python benchmarks/saturation.py [--render-workers N] [--only NAME ...] [--runs N]

`--render-workers` sets the render processes as a machine with that many cores would (the
default: this machine's cores); `--only` measures the shapes whose name starts with NAME (and
skips the overhead run unless the mix is among them); `--runs` repeats each shape.
"""

import argparse
import asyncio
import json
import math
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import Measurement, print_measurements, run_cli, text_pdf

# isort: split

from chat_server import ChatServer, RecordedRequest
from decode import phone_photo, scan
from PIL import Image
from prep import prepare

from extractors.load.worker import available_cores

CONCURRENCY = 16
LATENCY = 0.5
FIRST_REQUEST_GOAL = 0.3


@dataclass(frozen=True)
class Shape:
    """A shape of work: how many documents of each kind."""

    name: str
    singles: int = 0  # one-page letter PDFs
    multis: int = 0  # twelve-page letter PDFs
    scans: int = 0  # one-page full-size PNG scans
    photos: int = 0  # phone JPEGs

    @property
    def pages(self) -> int:
        return self.singles + 12 * self.multis + self.scans + self.photos

    @property
    def folder(self) -> str:
        return f"in-{self.singles}-{self.multis}-{self.scans}-{self.photos}"


SHAPES = (
    Shape("60 x 1 page", singles=60),
    Shape("20 x 12 pages", multis=20),
    Shape("200 x 1 + 20 x 12", singles=200, multis=20),
    Shape("30 x 1-page PDF + 30 PNG scans", singles=30, scans=30),
    Shape("60 phone JPEGs", photos=60),
)
MIX = SHAPES[2]


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


def inputs(folder: Path, shape: Shape) -> Path:
    """The shape's documents: letter PDFs of dense text, PNG scans and phone JPEGs."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(shape.singles):
        text_pdf(folder / f"single_{index:03d}.pdf", 1, seed=index)
    for index in range(shape.multis):
        text_pdf(folder / f"multi_{index:02d}.pdf", 12, seed=1000 + index)
    if shape.scans:
        _variants(scan(1), shape.scans, folder / "scan_{:03d}.png", {})
    if shape.photos:
        orientation = Image.Exif()
        orientation[0x0112] = 6  # phones store portrait photos landscape, turned by EXIF
        params = {"quality": 90, "exif": orientation}
        _variants(phone_photo(1), shape.photos, folder / "photo_{:03d}.jpg", params)
    return folder


def _variants(image: Image.Image, count: int, pattern: Path, params: dict[str, object]) -> None:
    """`count` files of one picture, each with its own mark (no two files the same bytes)."""
    pixels = np.asarray(image)
    for index in range(count):
        marked = pixels.copy()
        marked[:8, 8 * index : 8 * index + 8] = 0
        Image.fromarray(marked).save(str(pattern).format(index), **params)


def run_shape(
    folder: Path, out: Path, latency: float, pages: int, render_workers: int | None = None
) -> ShapeRun:
    shutil.rmtree(out, ignore_errors=True)
    with ChatServer(latency=latency, read_markers=False) as server:
        env = {"VISIONBATCH_BASE_URL": server.base_url, "VISIONBATCH_API_KEY": "bench-key"}
        arguments = [str(folder), "--out", str(out), "--model", "pixtral-12b-2409"]
        arguments += ["--concurrency", str(CONCURRENCY), "--text-layer", "off", "--json"]
        if render_workers is not None:
            arguments += ["--render-workers", str(render_workers)]
        run = run_cli(arguments, env).check()
        summary = json.loads(run.stdout)
        if summary["pages_ok"] != pages:
            raise RuntimeError(f"expected {pages} pages ok:\n{run.stdout}")
        return ShapeRun(pages, run.wall, summary, list(server.requests))


def measure(
    folder: Path,
    shapes: tuple[Shape, ...] = SHAPES,
    render_workers: int | None = None,
    runs: int = 1,
) -> list[Measurement]:
    """Each shape's efficiency and first request, `runs` times; the overhead on the mix."""
    lines: list[Measurement] = []
    for shape in shapes:
        documents = inputs(folder / shape.folder, shape)
        for _ in range(runs):
            done = run_shape(documents, folder / "out", LATENCY, shape.pages, render_workers)
            lines += shape_lines(shape.name, done)
    if MIX in shapes:
        lines.append(overhead(folder / MIX.folder, render_workers))
    return lines


def shape_lines(name: str, shape: ShapeRun) -> list[Measurement]:
    ideal, span = shape.efficiency
    first = float(shape.summary["first_request_seconds"])  # type: ignore[arg-type]
    return [
        Measurement(
            "saturation",
            f"{name}: ideal / (last answer - first request)",
            ideal,
            span,
            ">= 0.95",
            ideal / span >= 0.95,
            f"{len(shape.requests)} requests, ideal {ideal:.1f} s, served in {span:.2f} s; "
            f"run {shape.summary['wall_seconds']} s, command {shape.cli_wall:.1f} s",
        ),
        Measurement(
            "saturation",
            f"{name}: first request after the flow's start / 0.3 s",
            first,
            FIRST_REQUEST_GOAL,
            "<= 1.0",
            first <= FIRST_REQUEST_GOAL,
            f"{first * 1000:.0f} ms from the flow's start to its first request",
        ),
    ]


def overhead(mix: Path, render_workers: int | None) -> Measurement:
    """The mix's run wall per page at zero latency over preparing its pages alone."""
    zero = run_shape(mix, mix.parent / "out", 0.0, MIX.pages, render_workers)
    paths = sorted(mix.iterdir())
    started = time.perf_counter()
    prepared = asyncio.run(prepare(paths, render_workers or available_cores()))
    prep_seconds = time.perf_counter() - started
    run_wall = float(zero.summary["wall_seconds"])  # type: ignore[arg-type]
    per_page_run, per_page_prep = run_wall / MIX.pages, prep_seconds / prepared
    return Measurement(
        "overhead",
        "run wall per page / prep-only wall per page",
        per_page_run * 1000,
        per_page_prep * 1000,
        "<= 1.2",
        per_page_run / per_page_prep <= 1.2,
        f"zero-latency server, {len(zero.requests)} requests; ms per page; with Prefect's "
        f"start-up the CLI took {zero.cli_wall:.1f} s "
        f"({zero.cli_wall / MIX.pages * 1000:.0f} ms per page)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render-workers", type=int, default=None)
    parser.add_argument("--only", nargs="*", default=[], help="shapes whose name starts so")
    parser.add_argument("--runs", type=int, default=1)
    arguments = parser.parse_args()
    wanted = tuple(arguments.only)
    shapes = tuple(s for s in SHAPES if not wanted or s.name.startswith(wanted))
    with tempfile.TemporaryDirectory() as scratch:
        lines = measure(Path(scratch), shapes, arguments.render_workers, arguments.runs)
        print_measurements(lines)


if __name__ == "__main__":
    sys.exit(main())
