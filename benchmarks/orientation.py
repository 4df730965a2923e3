"""Page orientation: how often the detector stands a page upright, what it costs, what it gains.

Cases: the corpus's turned pages (doc_phototest_rotated_left.png, doc_devanagari_rotated270.png),
its /Rotate PDFs as MuPDF draws them (upright already: 0 expected, or None for the one with no
text), and five upright text pages turned by 0/90/180/270 here. The cost per page is set
against JPEG-encoding the same page (what every page pays anyway); the gain is the CER of the
embedded OCR on doc_phototest_rotated_left.png as it is against turned upright.

    PYTHONPATH=. .venv/bin/python benchmarks/orientation.py
"""

import io
import statistics
import sys
import time

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import CORPUS, Measurement, print_measurements

# isort: split

import pymupdf
from ocr_quality import sent_image
from ocr_text import character_error_rate
from PIL import Image

from extractors.load.orientation import turn_upright, upright_rotation
from extractors.offline.engine import OcrEngine

_UPRIGHT = (
    "doc_phototest.tif",
    "doc_eurotext.tif",
    "doc_historical_scan_progressive.jpg",
    "doc_hebrew_rgba.png",
)


def cases() -> list[tuple[str, Image.Image, int | None]]:
    """(name, page, the clockwise turn that stands it upright)."""
    images = CORPUS / "images"
    found: list[tuple[str, Image.Image, int | None]] = [
        ("doc_phototest_rotated_left.png", _open(images / "doc_phototest_rotated_left.png"), 90),
        ("doc_devanagari_rotated270.png", _open(images / "doc_devanagari_rotated270.png"), 270),
    ]
    devanagari = found[1][1].rotate(90, expand=True)  # upright, to turn again below
    for name, expected in (("rotated270_ccitt_greek.pdf", 0), ("rotated90_scanned_jpeg.pdf", None)):
        found.append((name, _pdf_page(CORPUS / "pdfs" / name), expected))
    uprights = [(name, _open(images / name)) for name in _UPRIGHT]
    for name, page in [*uprights, ("devanagari upright", devanagari)]:
        found.extend(
            (f"{name} +{turn}", page.rotate(turn, expand=True), turn) for turn in (0, 90, 180, 270)
        )
    return found


def _open(path: object) -> Image.Image:
    return Image.open(str(path)).convert("RGB")


def _pdf_page(path: object) -> Image.Image:
    with pymupdf.open(str(path)) as document:
        pixmap = document[0].get_pixmap(dpi=150, colorspace=pymupdf.csRGB, alpha=False)
    return Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)


def _median_ms(action: object, page: Image.Image, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action(page)  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _encode(page: Image.Image) -> bytes:
    buffer = io.BytesIO()
    page.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def detection(found: list[tuple[str, Image.Image, int | None]]) -> list[Measurement]:
    misses = [
        (name, want, got) for name, page, want in found if (got := upright_rotation(page)) != want
    ]
    detect_ms = statistics.median(_median_ms(upright_rotation, page) for _, page, _ in found)
    encode_ms = statistics.median(_median_ms(_encode, page) for _, page, _ in found)
    right = len(found) - len(misses)
    return [
        Measurement(
            "orientation",
            f"pages stood upright, of {len(found)}",
            right,
            len(found),
            "1.00",
            not misses,
            "misses: " + (", ".join(f"{n} (want {w}, got {g})" for n, w, g in misses) or "none"),
        ),
        Measurement(
            "orientation",
            "ms per page, detection / JPEG encoding",
            detect_ms,
            encode_ms,
            "",
            None,
            f"median {detect_ms:.0f} ms against {encode_ms:.0f} ms",
        ),
    ]


def ocr_gain() -> Measurement:
    engine = OcrEngine()
    truth = (CORPUS / "images" / "doc_phototest.txt").read_text(encoding="utf-8")
    turned = _open(CORPUS / "images" / "doc_phototest_rotated_left.png")
    before = character_error_rate(engine.transcribe(turned), truth)
    after = character_error_rate(engine.transcribe(turn_upright(turned).image), truth)
    return Measurement(
        "orientation",
        "CER doc_phototest_rotated_left.png, turned upright / as it is",
        after,
        before,
        "< 1",
        after < before,
        f"{before:.3f} -> {after:.3f}",
    )


def upright_receipts() -> Measurement:
    """The cost of a wrong turn: upright receipt photos the detector would turn anyway, each
    judged at the size the pipeline sends it to the embedded engine (the detector's verdict
    depends on it: sroie_577 was turned at that size only)."""
    photos = sorted((CORPUS / "receipts").glob("*.jpg"))
    turned = [p.name for p in photos if upright_rotation(sent_image(p)) not in (0, None)]
    return Measurement(
        "orientation",
        "upright SROIE receipts turned wrongly / all",
        len(turned),
        len(photos),
        "",
        None,
        f"{len(turned)} of {len(photos)}: {', '.join(turned) or 'none'}",
    )


def measure() -> list[Measurement]:
    if not (CORPUS / "images").is_dir():
        return [Measurement("orientation", "skipped: ../shared/corpus is missing", 0.0)]
    return [*detection(cases()), ocr_gain(), upright_receipts()]


def main() -> None:
    print_measurements(measure())


if __name__ == "__main__":
    sys.exit(main())
