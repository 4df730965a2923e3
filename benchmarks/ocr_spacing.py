"""Word spaces in the embedded OCR: the recogniser's own against re-spaced from the ink.

Character error rate on the two Tesseract test pages against their `.txt`, and word F1 on
SROIE receipts against their ground-truth lines (`sroie_NNN.csv`), the same recognition read
both ways in one run (extractors/offline/spacing.py).

    PYTHONPATH=. .venv/bin/python benchmarks/ocr_spacing.py
"""

import csv
import sys
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import CORPUS, Measurement, print_measurements

# isort: split

import numpy as np
from ocr_text import character_error_rate, word_f1
from PIL import Image, ImageOps

from extractors.offline.engine import OcrEngine, page_text
from extractors.plan.profiles.ocr_engine import OcrEngineProfile

RECEIPTS = 12


def sent_image(path: Path) -> Image.Image:
    """The image as the pipeline sends it to the engine: upright, fitted to its profile."""
    image = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    size = OcrEngineProfile().fit(*image.size)
    return image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)


def both_readings(engine: OcrEngine, image: Image.Image) -> tuple[str, str]:
    """The page's text as the recogniser spaced it, and re-spaced from the ink."""
    lines = engine.recognise(image)
    return page_text(lines, None), page_text(lines, np.asarray(image.convert("L")))


def page_cer(engine: OcrEngine, name: str) -> Measurement:
    path = CORPUS / "images" / name
    truth = path.with_suffix(".txt").read_text(encoding="utf-8")
    before, after = both_readings(engine, sent_image(path))
    cer_before, cer_after = character_error_rate(before, truth), character_error_rate(after, truth)
    return Measurement(
        "ocr_spacing",
        f"CER {name}, re-spaced / recogniser's",
        cer_after,
        cer_before,
        "no worse",
        cer_after <= cer_before,
        f"{cer_before:.4f} -> {cer_after:.4f}",
    )


def receipts_f1(engine: OcrEngine) -> Measurement:
    scores = []
    for path in sorted((CORPUS / "receipts").glob("*.jpg"))[:RECEIPTS]:
        with path.with_suffix(".csv").open(encoding="utf-8") as handle:
            truth = [",".join(row[8:]) for row in csv.reader(handle) if row]
        before, after = both_readings(engine, sent_image(path))
        scores.append((word_f1(before.splitlines(), truth), word_f1(after.splitlines(), truth)))
    f1_before = sum(s[0] for s in scores) / len(scores)
    f1_after = sum(s[1] for s in scores) / len(scores)
    return Measurement(
        "ocr_spacing",
        f"word F1 on {len(scores)} SROIE receipts, re-spaced / recogniser's",
        f1_after,
        f1_before,
        "> 1",
        f1_after > f1_before,
        f"{f1_before:.3f} -> {f1_after:.3f}",
    )


def measure() -> list[Measurement]:
    if not (CORPUS / "images").is_dir():
        return [Measurement("ocr_spacing", "skipped: ../shared/corpus is missing", 0.0)]
    engine = OcrEngine()
    pages = [page_cer(engine, name) for name in ("doc_phototest.tif", "doc_eurotext.tif")]
    return [*pages, receipts_f1(engine)]


def main() -> None:
    print_measurements(measure())


if __name__ == "__main__":
    sys.exit(main())
