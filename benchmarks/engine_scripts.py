"""What the embedded engine reads of pages in scripts it has no letters for, and whether it says so.

Every page of ../shared/corpus in Cyrillic, Greek, Arabic, Thai, Hebrew, Devanagari (and the
CJK pages beside them), rendered as the pipeline sends it, is put to the engine through its
chat-completions answer twice: the image alone (the engine judges from pixels: lines detected
but not read), and with its PDF text layer as `--text-layer hint` sends it (the layer names
the script). Per page: letters of the page's script in the layer (expected) and in the OCR
text (read), lines detected and read, and the warnings of each request. Then the Latin pages
(Tesseract's test pages, data/samples, the SROIE receipts), where any warning is a false alarm.

    PYTHONPATH=. .venv/bin/python benchmarks/engine_scripts.py [--receipts N]
"""

import argparse
import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import CORPUS, REPO

# isort: split

from extractors.endpoint.completion import ocr_pages
from extractors.endpoint.prompt import LAYER_TEXT_LABEL
from extractors.load.identify import identify
from extractors.load.reader import DocumentReader
from extractors.load.scripts import main_script, script_counts
from extractors.offline.engine import OcrEngine, answer_request
from extractors.offline.scripts import coverage, engine_reads
from extractors.options import BudgetOptions, RenderOptions
from extractors.plan.profiles.ocr_engine import OcrEngineProfile
from extractors.plan.sizing import size_page
from extractors.records import OcrPage

PROFILE = OcrEngineProfile()
BUDGET = BudgetOptions()

# The corpus's pages in other scripts, and the script each is in (corpus/SOURCES.md): the
# Russian scan's layer is Latin look-alike garbage, and the images have no layer to say.
SCRIPT_PAGES = {
    "pdfs/scanned_jbig2_ocr_cyrillic.pdf": "Cyrillic",
    "pdfs/rotated270_ccitt_greek.pdf": "Greek",
    "pdfs/nonlatin_arabic_multiscript.pdf": "Arabic",
    "pdfs/nonlatin_thai.pdf": "Thai",
    "pdfs/nonlatin_multilang.pdf": None,  # one line each of six scripts
    "pdfs/nonlatin_japanese.pdf": "Japanese",
    "pdfs/nonlatin_chinese_tables.pdf": "Han",
    "images/doc_hebrew_rgba.png": "Hebrew",
    "images/doc_devanagari_rotated270.png": "Devanagari",
}
LATIN_PAGES = [
    CORPUS / "images" / "doc_eurotext.tif",
    CORPUS / "images" / "doc_phototest.tif",
    REPO / "data" / "samples" / "receipt.jpg",
    REPO / "data" / "samples" / "receipt.png",
    REPO / "data" / "samples" / "letter_3pages.pdf",
]
PAGES_PER_DOCUMENT = 8


@dataclass(frozen=True)
class PageResult:
    name: str
    layer: str
    ocr: OcrPage
    ocr_text: str
    warnings_pixels: tuple[str, ...]
    warnings_layer: tuple[str, ...]


def sent_pages(path: Path) -> Iterator[tuple[int, bytes, str]]:
    """(page number, image as sent, text layer) of the document's first pages."""
    reader = DocumentReader(identify(path), RenderOptions(), None)
    try:
        layout = reader.layout()
        for number, (width, height) in enumerate(layout.page_sizes[:PAGES_PER_DOCUMENT], 1):
            planned = size_page(number, width, height, PROFILE, BUDGET.image_budget)
            layer = layout.text_layers[number - 1].text if layout.text_layers else ""
            yield number, reader.render(planned, PROFILE.pad_to_square).data, layer
    finally:
        reader.close()


def ask(engine: OcrEngine, image: bytes, layer: str) -> tuple[OcrPage, str]:
    """The engine's report of the image, and its text, asked as the pipeline asks."""
    url = "data:image/jpeg;base64," + base64.b64encode(image).decode()
    parts: list[dict] = [{"type": "image_url", "image_url": {"url": url}}]
    if layer:
        parts.append({"type": "text", "text": f"{LAYER_TEXT_LABEL} 1: {layer}"})
    answer = answer_request(engine, {"messages": [{"role": "user", "content": parts}]})
    (page,) = ocr_pages(answer)
    (item,) = json.loads(answer["choices"][0]["message"]["content"])["pages"]
    return page, item["text"]


def read_page(engine: OcrEngine, name: str, image: bytes, layer: str) -> PageResult:
    alone, text = ask(engine, image, "")
    with_layer = ask(engine, image, layer)[0] if layer else alone
    return PageResult(name, layer, alone, text, alone.warnings, with_layer.warnings)


def document_results(engine: OcrEngine, path: Path) -> Iterator[PageResult]:
    for number, image, layer in sent_pages(path):
        yield read_page(engine, f"{path.name}:{number}", image, layer)


def print_script_page(result: PageResult, script: str | None) -> None:
    script = script or main_script(result.layer)
    expected = script_counts(result.layer)[script] if result.layer else None
    read = script_counts(result.ocr_text)[script]
    lines = f"{len(result.ocr.lines)}/{result.ocr.detected_lines}"
    print(
        f"{result.name:42} {script or '-':10} layer {main_script(result.layer) or '-':9}"
        f" letters read/expected {read:5}/{expected if expected is not None else '-':<5}"
        f" lines read/detected {lines:7}"
    )
    print(f"{'':42}   pixels only: {list(result.warnings_pixels) or 'no warning'}")
    if result.layer:
        print(f"{'':42}   with layer:  {list(result.warnings_layer) or 'no warning'}")


def script_table() -> None:
    print("Recogniser alphabet: share of each script's basic letters (readable >= 0.9)")
    for script in ("Latin", "Greek", "Cyrillic", "Arabic", "Hebrew", "Thai", "Devanagari"):
        print(f"  {script:10} {coverage(script):.3f} reads={engine_reads(script)}")
    for script in ("Han", "Japanese", "Hangul"):
        print(f"  {script:10} {coverage(script):.3f} reads={engine_reads(script)}")


def latin_results(engine: OcrEngine, receipts: int) -> Iterator[PageResult]:
    for path in LATIN_PAGES:
        if path.is_file():
            yield from document_results(engine, path)
    for path in sorted((CORPUS / "receipts").glob("*.jpg"))[:receipts]:
        yield from document_results(engine, path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--receipts", type=int, default=120, help="SROIE receipts to read")
    receipts = parser.parse_args().receipts
    if not CORPUS.is_dir():
        print("skipped: ../shared/corpus is missing")
        return
    script_table()
    engine = OcrEngine()
    print("\nPages in other scripts")
    for relative, script in SCRIPT_PAGES.items():
        for result in document_results(engine, CORPUS / relative):
            print_script_page(result, script)
    print("\nLatin pages: any warning is a false alarm")
    alarms, pages, unread_pages = 0, 0, 0
    for result in latin_results(engine, receipts):
        pages += 1
        unread_pages += result.ocr.detected_lines > len(result.ocr.lines)
        if result.warnings_pixels or result.warnings_layer:
            alarms += 1
            print_script_page(result, "Latin")
    print(f"false alarms: {alarms} of {pages} Latin pages ({unread_pages} with a line unread)")


if __name__ == "__main__":
    main()
