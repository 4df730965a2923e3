"""The embedded engine's pages/s on SROIE receipts, through the real CLI with no endpoint set.

`visionbatch run` over the first 24 receipts of ../shared/corpus/receipts (the embedded
RapidOCR engine answers the chat-completions requests, page_text schema), against RapidOCR
alone in a plain loop over the same image files, with its defaults, in one process.

    .venv/bin/python benchmarks/engine.py
"""

import shutil
import sys
import tempfile
import time
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import CORPUS, Measurement, print_measurements, run_cli

# isort: split


RECEIPTS = 24


def receipts(folder: Path) -> list[Path]:
    chosen = sorted((CORPUS / "receipts").glob("*.jpg"))[:RECEIPTS]
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(path, folder / path.name)) for path in chosen]


def plain_rapidocr(paths: list[Path]) -> float:
    """Seconds for RapidOCR alone over the files (its models loaded beforehand)."""
    from rapidocr import RapidOCR

    engine = RapidOCR(params={"Global.log_level": "error"})
    engine(str(paths[0]))
    started = time.perf_counter()
    for path in paths:
        engine(str(path))
    return time.perf_counter() - started


def measure(folder: Path) -> list[Measurement]:
    if not (CORPUS / "receipts").is_dir():
        return [Measurement("engine", "skipped: ../shared/corpus is missing", 0.0)]
    paths = receipts(folder / "in")
    run = run_cli([str(folder / "in"), "--out", str(folder / "out")], no_endpoint=True).check()
    pages = run.number("pages ok")
    if pages != len(paths):
        raise RuntimeError(f"expected {len(paths)} pages ok:\n{run.stdout}")
    pipeline_rate = pages / run.number("wall time")
    plain_rate = len(paths) / plain_rapidocr(paths)
    return [
        Measurement(
            "engine",
            "receipts/s, embedded engine run / RapidOCR alone",
            pipeline_rate,
            plain_rate,
            "",
            None,
            f"{len(paths)} SROIE receipts; {pipeline_rate:.2f} against {plain_rate:.2f} "
            "receipts/s (the run shrinks receipts to the Pixtral budget before OCR)",
        )
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        print_measurements(measure(Path(scratch)))


if __name__ == "__main__":
    sys.exit(main())
