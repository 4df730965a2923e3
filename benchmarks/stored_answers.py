"""What a rerun pays to remember the images earlier runs answered (`sink/answered_images.py`).

Writes a page dataset of `--rows` ok rows (default a million: 200 parts, ~1.7 kB of text a row,
each with its own `image_sha256`) in a temporary folder, then, in a fresh process each:
`newest`, the digests and places of the 16,384 newest answered images (what a rerun reads once),
and one row read whole for a copy; against reading every row's digest and text (what
remembering whole rows would cost). Prints seconds and the peak RSS of each. The
dataset is deleted after.

    .venv/bin/python benchmarks/stored_answers.py            # ~2 min, ~750 MB on disk meanwhile
    .venv/bin/python benchmarks/stored_answers.py --rows 100000
"""

import argparse
import hashlib
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PARTS = 200
WORDS_A_ROW = 250


def write_dataset(folder: Path, rows: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from schemas import PAGE_ROW_ARROW_SCHEMA

    rng = random.Random(1)
    words = [hashlib.md5(str(i).encode()).hexdigest()[: rng.randint(3, 9)] for i in range(5000)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    per_part = max(1, rows // PARTS)
    number = 0
    for part in range(PARTS):
        batch = []
        for _ in range(per_part):
            number += 1
            text = " ".join(rng.choice(words) for _ in range(WORDS_A_ROW))
            batch.append(_row(number, text, start))
        table = pa.Table.from_pylist(batch, schema=PAGE_ROW_ARROW_SCHEMA)
        pq.write_table(table, folder / f"part-r-00000-{part:05d}.parquet", compression="zstd")


def _row(number: int, text: str, start: datetime) -> dict[str, object]:
    document = number // 30
    return {
        "source": f"/archive/box{number // 300}/doc{document}.pdf",
        "source_sha256": hashlib.sha256(str(document).encode()).hexdigest(),
        "source_format": "pdf",
        "page": number % 30 + 1,
        "page_count": 30,
        "status": "ok",
        "text": text,
        "text_format": "markdown",
        "model": "m",
        "provider": "p",
        "schema_name": "page_text",
        "schema_version": "sv",
        "prompt_version": "pv",
        "options_version": "ov",
        "request_id": f"{number:016x}",
        "request_images": 4,
        "attempts": 1,
        "width": 1000,
        "height": 1300,
        "text_source": "model",
        "warnings": [],
        "confidence": 0.9,
        "run_id": "r",
        "extracted_at": start + timedelta(seconds=number),
        "image_sha256": hashlib.sha256(number.to_bytes(8, "big")).hexdigest(),
    }


def measure(folder: str, mode: str) -> None:
    """One measurement, in this (fresh) process: seconds and peak RSS."""
    import polars as pl

    from extractors.records import RowContext
    from extractors.sink.answered_images import StoredAnswers
    from schemas import PAGE_ROW_ARROW_SCHEMA

    context = RowContext("rerun", "m", "p", "page_text", "sv", "pv", "ov")
    stored = StoredAnswers.at(folder, PAGE_ROW_ARROW_SCHEMA, context)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if mode == "newest":
        newest = stored.newest
        seconds = time.perf_counter() - started
        digest, where = newest[-1]
        fetch = time.perf_counter()
        row = stored.row(digest, where)
        assert row is not None and row.image_sha256 == digest.hex()
        detail = f"{len(newest):,} images kept; one row read whole for a copy in "
        detail += f"{(time.perf_counter() - fetch) * 1000:.0f} ms"
    else:
        frame = pl.scan_parquet(f"{folder}/*.parquet").select("image_sha256", "text").collect()
        seconds = time.perf_counter() - started
        detail = f"{frame.height:,} rows' digest and text"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"stored answers | {mode}: {seconds:.2f} s, peak RSS {peak:.0f} MB "
        f"({before / 1024:.0f} MB before it, the imports done; {detail})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--measure", nargs=2, metavar=("FOLDER", "MODE"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        measure(*arguments.measure)
        return
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        write_dataset(folder, arguments.rows)
        for mode in ("newest", "every text"):
            command = [sys.executable, __file__, "--measure", str(folder), mode]
            subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
