"""Text quality of the embedded OCR: character error rate and receipt word F1.

Character error rate on the two Tesseract test pages against their `.txt`, and word F1 on
SROIE receipts against their ground-truth lines (`sroie_NNN.csv`), read as the pipeline sends
the pages. The figures of PP-OCRv4, the engine's models before PP-OCRv6, are kept beside them
as they were measured by this benchmark (then ocr_spacing.py) on 2026-12-01: that model is no
longer installed, so it cannot be run again here.

    PYTHONPATH=. .venv/bin/python benchmarks/ocr_quality.py
"""

import sys
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import CORPUS, Measurement, print_measurements

# isort: split

from ocr_text import character_error_rate, sroie_lines, word_f1
from PIL import Image, ImageOps

from extractors.offline.engine import OcrEngine
from extractors.plan.profiles.ocr_engine import OcrEngineProfile

RECEIPTS = 12


# PP-OCRv4 as measured here before: its own spacing, and its lines re-spaced from the ink.
PP_OCRV4 = {
    "doc_phototest.tif": "CER 0.0000",
    "doc_eurotext.tif": "CER 0.0243",
    "receipts": "word F1 0.524, re-spaced 0.617",
}


def sent_image(path: Path) -> Image.Image:
    """The image as the pipeline sends it to the engine: upright, fitted to its profile."""
    image = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    size = OcrEngineProfile().fit(*image.size)
    return image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)


def page_cer(engine: OcrEngine, name: str) -> Measurement:
    path = CORPUS / "images" / name
    truth = path.with_suffix(".txt").read_text(encoding="utf-8")
    cer = character_error_rate(engine.transcribe(sent_image(path)), truth)
    return Measurement(
        "ocr_quality",
        f"CER {name}",
        cer,
        None,
        "<= 0.01",
        cer <= 0.01,
        f"{cer:.4f}; PP-OCRv4 {PP_OCRV4[name]}",
    )


def receipts_f1(engine: OcrEngine) -> Measurement:
    scores = []
    for path in sorted((CORPUS / "receipts").glob("*.jpg"))[:RECEIPTS]:
        text = engine.transcribe(sent_image(path))
        scores.append(word_f1(text.splitlines(), sroie_lines(path)))
    f1 = sum(scores) / len(scores)
    return Measurement(
        "ocr_quality",
        f"word F1 on {len(scores)} SROIE receipts",
        f1,
        None,
        ">= 0.8",
        f1 >= 0.8,
        f"{f1:.3f}; PP-OCRv4 {PP_OCRV4['receipts']}",
    )


def measure() -> list[Measurement]:
    if not (CORPUS / "images").is_dir():
        return [Measurement("ocr_quality", "skipped: ../shared/corpus is missing", 0.0)]
    engine = OcrEngine()
    pages = [page_cer(engine, name) for name in ("doc_phototest.tif", "doc_eurotext.tif")]
    return [*pages, receipts_f1(engine)]


def main() -> None:
    print_measurements(measure())


if __name__ == "__main__":
    sys.exit(main())
