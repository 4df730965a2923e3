"""Peak memory while discovering and planning an archive of 100,000 small files.

What the flow does before any page is read: walk the inputs as a stream with the run's
filters, count them for the progress bar's total (a second walk that keeps nothing), and cut
the stream into shards of documents. Each measurement runs in a fresh process and reports its
peak RSS (`ru_maxrss`), so that nothing of one measurement stays in another.

Reported against two references measured in the same run:
  * the same process with the same imports, discovering nothing (the interpreter, Prefect,
    PyMuPDF, Polars...: what any run costs before it sees a file);
  * the naive way, `sorted(Path(root).rglob("*"))`: the whole archive as a list of paths.

Two layouts: 100 folders of 1,000 files (an archive by month or by batch) and one flat folder
of 100,000 files (a dump), where the walk must hold one folder's names at a time.

Run::

    .venv/bin/python benchmarks/discovery.py [--files 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# A valid 1x1 PNG: 67 bytes, like the small receipts of an inbox but without the disk space.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)

_MEASURE = r"""
import json, resource, sys, time
sys.path.insert(0, {repo!r})
# Every import a real run makes (Prefect, PyMuPDF, Polars, pyarrow, Dask).
import flows.orchestration.flow
from extractors.discover.files import count, discover, shards
from extractors.options import DiscoveryOptions
from pathlib import Path

mode, root = sys.argv[1], sys.argv[2]
started = time.perf_counter()
files = shards_made = 0
if mode == "pipeline":
    options = DiscoveryOptions(include=("*.png",))
    total = count([root], options=options)
    for shard in shards(discover([root], options=options), 64):
        shards_made += 1
        files += len(shard)
    assert files == total, (files, total)
elif mode == "naive":
    listed = sorted(p for p in Path(root).rglob("*") if p.is_file())
    files = len(listed)
seconds = time.perf_counter() - started
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"files": files, "shards": shards_made, "seconds": seconds, "peak_mb": peak_mb}}))
"""


def make_archive(root: Path, files: int, per_folder: int) -> None:
    root.mkdir(parents=True)
    for index in range(files):
        folder = root / f"batch-{index // per_folder:04d}"
        if index % per_folder == 0:
            folder.mkdir()
        (folder / f"receipt-{index:06d}.png").write_bytes(_PNG)


def measure(mode: str, root: Path) -> dict[str, float]:
    script = _MEASURE.format(repo=str(REPO))
    done = subprocess.run(
        [sys.executable, "-c", script, mode, str(root)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="Make the archives here and keep them.")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="visionbatch-discovery-"))
    layouts = {"100 folders": args.files // 100, "1 flat folder": args.files}
    try:
        for name, per_folder in layouts.items():
            root = base / name.replace(" ", "-")
            if not root.exists():
                started = time.perf_counter()
                make_archive(root, args.files, per_folder)
                seconds = time.perf_counter() - started
                print(f"made {args.files:,} files ({name}) in {seconds:.0f} s")
        print()
        print(
            "| layout | files | visionbatch peak RSS | over imports alone | over a list "
            "of paths | walk + count + shards |"
        )
        print("|---|---|---|---|---|---|")
        for name in layouts:
            root = base / name.replace(" ", "-")
            empty = base / "empty"
            empty.mkdir(exist_ok=True)
            baseline = measure("pipeline", empty)
            ours = measure("pipeline", root)
            naive = measure("naive", root)
            print(
                f"| {name} | {ours['files']:,.0f} in {ours['shards']:,.0f} shards "
                f"| {ours['peak_mb']:.0f} MB "
                f"| +{ours['peak_mb'] - baseline['peak_mb']:.1f} MB "
                f"(imports {baseline['peak_mb']:.0f} MB) "
                f"| {naive['peak_mb'] - baseline['peak_mb']:+.1f} MB for the list "
                f"| {ours['seconds']:.1f} s |"
            )
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
