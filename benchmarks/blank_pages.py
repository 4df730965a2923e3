"""Blank pages: false blanks on the shared corpus (goal 0), duplex backs caught, ms per page.

Every page of every PDF and image of ../shared/corpus (the SROIE receipts included) is drawn as
the pipeline draws it for Pixtral (the reader, sized by PixtralProfile: 1,024 px on the longest
side) and judged by `extractors.load.blank.judge_blank` twice: on the page as drawn (where the
pipeline calls it) and on the JPEG sent, decoded. Each page judged blank is listed (and saved
with --save DIR) to be looked at: none of the corpus's pages is blank, so every one listed is a
false blank. Generated duplex backs (tests/support/duplex_backs.py: white, grey and cream
paper; speckle, punched holes, page numbers, bleed-through, the scanner's edge) are judged the
same way, with content pages made of the noisiest back plus one small thing (a short line, a
signature, a stamp, a faint pencil note, a photo, a rule, a highlighter stroke). The time per
page is set against JPEG-encoding the same page, which every page pays anyway.

    PYTHONPATH=. .venv/bin/python benchmarks/blank_pages.py [--save DIR]
"""

import argparse
import csv
import io
import statistics
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import CORPUS, Measurement, print_measurements

# isort: split

import pymupdf
from duplex_backs import BACKS, CONTENT, PAPERS, content_page, drawn_pages, duplex_back, save_scan
from PIL import Image

from extractors.errors import SourceError
from extractors.load.blank import BlankVerdict, judge_blank

_SUFFIXES = {
    ".pdf", ".png", ".apng", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".gif", ".avif",
    ".avifs", ".heic", ".heif", ".mpo", ".bmp",
}  # fmt: skip
_SEEDS = (1, 2, 3)


@dataclass(frozen=True)
class Judged:
    """One page judged: on the image as drawn, on the JPEG sent, and the time on the first."""

    name: str
    page: int
    drawn: Image.Image
    as_drawn: BlankVerdict
    as_sent: BlankVerdict
    judge_ms: float
    encode_ms: float
    # A PDF page with nothing painted on it (an empty content stream, no annotation).
    painted: bool = True

    @property
    def blank(self) -> bool:
        return self.as_drawn.blank or self.as_sent.blank


def corpus_files() -> list[Path]:
    found = [*(CORPUS / "pdfs").glob("*"), *(CORPUS / "images").rglob("*")]
    found += (CORPUS / "receipts").glob("*.jpg")
    return sorted(p for p in found if p.is_file() and p.suffix.lower() in _SUFFIXES)


def _passwords() -> dict[str, str]:
    manifest = CORPUS / "pdfs" / "manifest.csv"
    if not manifest.is_file():
        return {}
    with manifest.open(newline="", encoding="utf-8") as handle:
        return {row["file"]: row["password"] for row in csv.DictReader(handle) if row["password"]}


def _unpainted(path: Path, password: str | None) -> set[int]:
    """The pages of a PDF that paint nothing: their content streams are empty (blank for sure).
    A page that cannot be read, or a file that stays locked, paints something as far as this
    count goes, so its page judged blank would be a false blank."""
    if path.suffix.lower() != ".pdf":
        return set()
    with pymupdf.open(path) as document:
        forms = (password or "", unicodedata.normalize("NFKC", password or ""))
        if document.needs_pass and not any(document.authenticate(p) for p in forms):
            return set()
        return {
            number + 1 for number in range(document.page_count) if _paints_nothing(document, number)
        }


def _paints_nothing(document: pymupdf.Document, number: int) -> bool:
    try:
        page = document[number]
        return not page.read_contents().strip() and page.first_annot is None
    except (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase):  # damaged: may hold anything
        return False


def judge_file(path: Path, name: str, password: str | None = None) -> list[Judged]:
    """Every page of a file drawn as the pipeline draws it, judged; unreadable pages left out."""
    pages, _ = drawn_pages(path, password)
    unpainted = _unpainted(path, password) if pages else set()
    judged = []
    for page in pages:
        started = time.perf_counter()
        as_drawn = judge_blank(page.drawn)
        judge_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        page.drawn.save(io.BytesIO(), "JPEG", quality=85)
        encode_ms = (time.perf_counter() - started) * 1000
        as_sent = judge_blank(page.sent_image())
        painted = page.number not in unpainted
        judged.append(
            Judged(name, page.number, page.drawn, as_drawn, as_sent, judge_ms, encode_ms, painted)
        )
    return judged


def judge_corpus() -> tuple[list[Judged], int]:
    """The corpus's pages judged, and how many files could not be read at all."""
    passwords = _passwords()
    judged: list[Judged] = []
    unread = 0
    for path in corpus_files():
        try:
            judged += judge_file(path, str(path.relative_to(CORPUS)), passwords.get(path.name))
        except SourceError:
            unread += 1  # a broken or locked file: an error row, never a page
    return judged, unread


def judge_generated(folder: Path) -> tuple[list[Judged], list[Judged]]:
    """Generated duplex backs and content pages, each saved as a 150-DPI JPEG scan."""
    backs, content = [], []
    for paper in PAPERS:
        for seed in _SEEDS:
            for kind, features in BACKS.items():
                path = save_scan(duplex_back(paper, features, seed), folder / "page.jpg")
                backs += judge_file(path, f"back: {paper.name}, {kind}, seed {seed}")
            for kind, mark in CONTENT.items():
                path = save_scan(content_page(paper, mark, seed), folder / "page.jpg")
                content += judge_file(path, f"content: {paper.name}, {kind}, seed {seed}")
    return backs, content


def _caught(judged: Judged) -> bool:
    return judged.as_drawn.blank and judged.as_sent.blank


def _line(judged: Judged) -> str:
    size = "x".join(map(str, judged.drawn.size))
    verdict = judged.as_sent if judged.as_sent.blank else judged.as_drawn
    where = f"{judged.name} p{judged.page} ({size})"
    return f"  {where}: {verdict.reason}, marks {verdict.ink_share:.3%}"


def _closest(judged: list[Judged], count: int = 8) -> list[Judged]:
    """The pages with ink nearest to being judged blank: by the longest side of their largest
    mark that is not noise (pages judged without counting marks are far from it)."""
    counted = [j for j in judged if j.painted and j.as_drawn.marks and not j.blank]
    return sorted(counted, key=lambda j: j.as_drawn.largest_mark)[:count]


def _save(pages: list[Judged], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for judged in pages:
        name = judged.name.replace("/", "_").replace(" ", "").replace(",", "_")
        judged.drawn.save(folder / f"{name}_p{judged.page}.png")


def measure(save: Path | None = None) -> list[Measurement]:
    if not (CORPUS / "pdfs").is_dir():
        return [Measurement("blank pages", "skipped: ../shared/corpus is missing", 0.0)]
    corpus, unread = judge_corpus()
    with tempfile.TemporaryDirectory() as folder:
        backs, content = judge_generated(Path(folder))
    false_blanks = [j for j in corpus + content if j.blank and j.painted]
    missed = [j for j in backs if not _caught(j)]
    true_blanks = [j for j in corpus if not j.painted]
    print(f"corpus: {len(corpus)} pages drawn ({unread} files unreadable)")
    print(f"corpus pages that paint nothing ({len(true_blanks)}), judged blank:")
    print("\n".join(f"  {j.name} p{j.page}: {_caught(j)}" for j in true_blanks))
    print(f"pages judged blank that are not ({len(false_blanks)}):")
    print("\n".join(map(_line, false_blanks)) or "  none")
    print(f"duplex backs not caught, as drawn or as sent ({len(missed)}):")
    misses = [f"  {j.name}: {j.as_drawn.reason} / {j.as_sent.reason}" for j in missed]
    print("\n".join(misses) or "  none")
    print("closest calls: the corpus pages with ink whose largest unexplained mark is smallest:")
    print("\n".join(map(_line, _closest(corpus))))
    if save is not None:
        _save(false_blanks + missed, save)
    timed = corpus + backs + content
    judge = statistics.median(j.judge_ms for j in timed)
    encode = statistics.median(j.encode_ms for j in timed)
    worst = statistics.quantiles([j.judge_ms for j in timed], n=20)[-1]
    corpus_blank = sum(j.blank and j.painted for j in corpus)
    painted = sum(j.painted for j in corpus)
    content_blank = sum(j.blank for j in content)
    return [
        Measurement(
            "blank pages",
            "corpus pages with ink judged blank (false blanks)",
            corpus_blank,
            painted,
            "0",
            corpus_blank == 0,
            f"{corpus_blank} of {painted} corpus pages that paint something, as drawn or as sent;"
            f" {sum(map(_caught, true_blanks))} of {len(true_blanks)} that paint nothing caught",
        ),
        Measurement(
            "blank pages",
            "generated content pages judged blank",
            content_blank,
            len(content),
            "0",
            content_blank == 0,
            f"{content_blank} of {len(content)}: {len(CONTENT)} kinds x 3 papers x 3 seeds",
        ),
        Measurement(
            "blank pages",
            "generated duplex backs caught",
            len(backs) - len(missed),
            len(backs),
            "all",
            not missed,
            f"{len(backs) - len(missed)} of {len(backs)} caught both as drawn and as sent",
        ),
        Measurement(
            "blank pages",
            "ms to judge a page / ms to JPEG-encode it",
            judge,
            encode,
            note=f"median {judge:.1f} ms against {encode:.1f} ms, p95 {worst:.1f} ms, "
            f"{len(timed)} pages at <= 1,024 px",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, help="save the pages judged wrongly here (PNG)")
    print_measurements(measure(parser.parse_args().save))


if __name__ == "__main__":
    sys.exit(main())
