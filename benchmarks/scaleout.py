"""Wall time of runs on a Dask LocalCluster against the same runs in one process.

Every run goes through the real CLI (`visionbatch run`, Prefect flow and all) into a fresh
--out, after a warm-up run that creates Prefect's database. Each case runs at two sizes, so
that the fixed costs (Prefect's start, the cluster's start: worker processes importing
Prefect, PyMuPDF, Polars...) cancel in the marginal cost per page,
(wall of the large run - wall of the small run) / (pages of the large - pages of the small):

  * render-bound: marked PDFs of 12 pages (60 then 240 pages) against the local test server
    with no latency, so the work is rasterising and encoding (render processes on one core
    each in the single process; one rendering thread in each Dask worker);
  * OCR-bound: SROIE receipts of ../shared/corpus (6 then 24) with the embedded engine, one
    engine per Dask worker, each with its share of the cores.

`--dask local --dask-workers 2` on this machine's 2 cores; shards of 4 documents. Ratios are
Dask / single process: below 1, Dask is faster.

Run::

    .venv/bin/python benchmarks/scaleout.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "support"))

from chat_server import ChatServer  # noqa: E402
from markers import make_marked_pdf  # noqa: E402

DASK = ["--dask", "local", "--dask-workers", "2"]


def visionbatch(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "flows", "run", *args],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def compare(
    label: str, runs: dict[int, list[str]], common: list[str], work: Path, env: dict[str, str]
) -> str:
    """Both sizes in one process and on Dask; a Markdown table row."""
    walls: dict[tuple[str, int], float] = {}
    for mode, extra in (("single", []), ("dask", DASK)):
        for pages, args in runs.items():
            out = work / f"{label.split(':')[0]}-{mode}-{pages}"
            walls[mode, pages] = visionbatch([*args, "--out", str(out), *common, *extra], env)
    small, large = sorted(runs)
    marginal = {
        mode: (walls[mode, large] - walls[mode, small]) / (large - small)
        for mode in ("single", "dask")
    }
    return (
        f"| {label} | {walls['single', small]:.1f} s / {walls['dask', small]:.1f} s "
        f"| {walls['single', large]:.1f} s / {walls['dask', large]:.1f} s "
        f"| {walls['dask', large] / walls['single', large]:.2f} "
        f"| {1000 * marginal['single']:.0f} / {1000 * marginal['dask']:.0f} ms "
        f"| {marginal['dask'] / marginal['single']:.2f} |"
    )


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="visionbatch-scaleout-"))
    env = {**os.environ, "PREFECT_HOME": str(work / "prefect")}
    pdfs = work / "pdfs"
    pdfs.mkdir()
    for doc_id in range(1, 21):
        make_marked_pdf(pdfs / f"doc_{doc_id}.pdf", doc_id, 12)
    rows = []
    with ChatServer() as server:
        endpoint = ["--base-url", server.base_url, "--model", "pixtral-12b-2409"]
        common = [*endpoint, "--shard-size", "4", "--concurrency", "8"]
        visionbatch([str(pdfs), "--out", str(work / "warm"), "--limit", "1", *common], env)
        runs = {60: [str(pdfs), "--limit", "5"], 240: [str(pdfs)]}
        rows.append(compare("render-bound: 12-page PDFs, test server", runs, common, work, env))
    receipts = REPO.parent / "shared" / "corpus" / "receipts"
    if receipts.is_dir():
        only = [str(receipts), "--include", "*.jpg"]
        runs = {6: [*only, "--limit", "6"], 24: [*only, "--limit", "24"]}
        common = ["--shard-size", "4"]
        rows.append(compare("OCR-bound: SROIE receipts, embedded engine", runs, common, work, env))
    print(
        "| inputs | small run: single / Dask | large run: single / Dask | Dask / single "
        "(large) | marginal per page: single / Dask | marginal Dask / single |"
    )
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
