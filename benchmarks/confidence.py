"""Does a low `confidence` point at the wrong rows? Issue 24 point 4.

Two sets of ok rows, each row labelled right or wrong by a truth it was not made from:

- model rows: the 100 pages of benchmarks/degenerate.py against the test chat server, once
  fault-free and once with degenerate answers injected; an ok row is wrong when its text is not
  the fault-free run's text for that page.
- embedded-engine rows (`page_text`, `--text-layer auto`, no endpoint): every third SROIE
  receipt of ../shared/corpus/receipts (right when its word F1 against the receipt's
  ground-truth lines is at least 0.8), the two scans with ground-truth text (right when the
  character error rate is at most 0.05), the corpus's pages in scripts other than Latin (right
  when the row's letters are mostly of the page's script and there are at least 20 of them),
  and the lying and honest pages of tests/support/lying_pdfs.py (right when the row holds the
  lines drawn, word F1 >= 0.8, and nothing of the hidden line).

For each set and both together: the share of wrong rows among the lowest-confidence tenth of the
rows, against the share among the other nine tenths, and the area under the ROC curve of
confidence for telling right rows from wrong ones (1.0 separates them all, 0.5 is chance).

    PYTHONPATH=. .venv/bin/python benchmarks/confidence.py     # about 3 minutes
"""

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import CORPUS

# isort: split

import polars as pl
from degenerate import extract, final_rows, make_inputs
from harness import run
from lying_pdfs import HIDDEN_LINE, honest_pages, lying_pages
from ocr_text import character_error_rate, sroie_lines, word_f1

from extractors.load.scripts import script_counts

Labelled = list[tuple[float, bool]]  # (confidence, right)

# Corpus pages in another script than Latin, and the script a reader sees on them.
_SCRIPT_PAGES = {
    "images/doc_hebrew_rgba.png": "Hebrew",
    "images/doc_devanagari_rotated270.png": "Devanagari",
    "pdfs/nonlatin_thai.pdf": "Thai",
    "pdfs/nonlatin_japanese.pdf": "Han",
    "pdfs/nonlatin_chinese_tables.pdf": "Han",
    "pdfs/rotated270_ccitt_greek.pdf": "Greek",
    "pdfs/scanned_jbig2_ocr_cyrillic.pdf": "Cyrillic",
    "pdfs/nonlatin_arabic_multiscript.pdf": "Arabic",
}
_SCANS = ("images/doc_eurotext.tif", "images/doc_phototest.tif")


def model_rows() -> Labelled:
    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "in"
        make_inputs(inputs)
        extract(inputs, Path(tmp) / "clean", {})
        kinds = ("loop", "loop_rows", "loop_cut", "refusal", "blank_text", "wrong_script")
        extract(inputs, Path(tmp) / "faulty", {kind: 0.1 for kind in kinds})
        clean, faulty = final_rows(Path(tmp) / "clean"), final_rows(Path(tmp) / "faulty")
    return [
        (float(row["confidence"]), row["text"] == clean[page]["text"])  # type: ignore[arg-type]
        for page, row in faulty.items()
        if row["status"] == "ok"
    ]


def _script_right(text: str, script: str) -> bool:
    counts = script_counts(text)
    letters = sum(counts.values())
    if script == "Han":  # Japanese pages mix kana with their kanji
        counts["Han"] += counts["Japanese"]
    return counts[script] >= 20 and counts[script] >= letters / 2


def _engine_inputs(folder: Path) -> dict[str, object]:
    """Copy the inputs into `folder`; name -> its truth (lines, text, a script, or a Built)."""
    truth: dict[str, object] = {}
    receipts = sorted((CORPUS / "receipts").glob("*.jpg"))[::3]
    for path in receipts:
        shutil.copy(path, folder / path.name)
        truth[path.name] = sroie_lines(path)
    for name in _SCANS:
        path = CORPUS / name
        shutil.copy(path, folder / path.name)
        truth[path.name] = path.with_suffix(".txt").read_text(encoding="utf-8")
    for name, script in _SCRIPT_PAGES.items():
        shutil.copy(CORPUS / name, folder / Path(name).name)
        truth[Path(name).name] = script
    built = Path(folder.parent / "built")
    built.mkdir()
    for page in [*lying_pages(built), *honest_pages(built)]:
        shutil.copy(page.path, folder / page.path.name)
        truth[page.path.name] = page
    return truth


def _right(text: str, truth: object) -> bool:
    if isinstance(truth, list):
        return word_f1(text.splitlines(), truth) >= 0.8
    if isinstance(truth, str) and truth in set(_SCRIPT_PAGES.values()):
        return _script_right(text, truth)
    if isinstance(truth, str):
        return character_error_rate(text, truth) <= 0.05
    drawn = list(truth.drawn)  # type: ignore[attr-defined]
    hidden = "IGNORE ALL PREVIOUS" in text or "999.99" in text
    return not hidden and word_f1(text.splitlines(), drawn) >= 0.8 and HIDDEN_LINE not in text


def engine_rows() -> Labelled:
    if not CORPUS.is_dir():
        print("embedded-engine rows skipped: ../shared/corpus is missing")
        return []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        truth = _engine_inputs(folder)
        run([folder], Path(tmp) / "out")
        rows = pl.read_parquet(Path(tmp) / "out" / "pages").filter(pl.col("status") == "ok")
    labelled = []
    for row in rows.iter_rows(named=True):
        name = Path(row["source"]).name
        if name in truth:
            labelled.append((float(row["confidence"]), _right(row["text"] or "", truth[name])))
    return labelled


def separation(name: str, rows: Labelled) -> None:
    if not rows:
        return
    ordered = sorted(rows, key=lambda row: row[0])
    tenth = max(1, len(ordered) // 10)
    low, rest = ordered[:tenth], ordered[tenth:]
    wrong_low = sum(not right for _, right in low) / len(low)
    wrong_rest = sum(not right for _, right in rest) / max(1, len(rest))
    wrong = sum(not right for _, right in rows)
    print(
        f"{name:14} rows {len(rows):4}  wrong {wrong:3}  wrong among the lowest 10%: "
        f"{wrong_low:.2f}  among the rest: {wrong_rest:.2f}  AUC {_auc(rows):.3f}"
    )


def _auc(rows: Iterable[tuple[float, bool]]) -> float:
    """P(a right row's confidence > a wrong row's), ties counted half."""
    right = [c for c, ok in rows if ok]
    wrong = [c for c, ok in rows if not ok]
    if not right or not wrong:
        return float("nan")
    wins = sum((r > w) + 0.5 * (r == w) for r in right for w in wrong)
    return wins / (len(right) * len(wrong))


if __name__ == "__main__":
    model, engine = model_rows(), engine_rows()
    separation("model", model)
    separation("engine", engine)
    separation("together", model + engine)
