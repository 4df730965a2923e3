"""Receipt fields of the embedded engine, on a development set and a held-out set.

The 120 SROIE receipts of ../shared/corpus/receipts are split once, by a fixed rule: sorted
by name, every third (the 3rd, 6th, 9th...) is held out, the others are the development set.
The offline receipt rules are written from the development set only; the held-out figures
say what they are worth on receipts they were not written from.

The receipts are read as the pipeline sends them (fitted to the engine's profile, turned
upright, JPEG-encoded), their fields found by the offline rules and matched to the ground
truth by `visionbatch eval`'s rules. The same engine reads them once without its second
reading (the baseline) and once with it, side by side; the word F1 of their text against
their ground-truth lines says what it does to the text. `visionbatch eval` on a real run
gives the same accuracy (README.md, "Receipt fields").

    PYTHONPATH=. .venv/bin/python benchmarks/receipt_fields.py     # about 4 minutes
"""

import io
import json
import sys
import time
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import CORPUS, Measurement, print_measurements

# isort: split

from ocr_quality import sent_image
from ocr_text import sroie_lines, word_f1

from extractors.load.orientation import turn_upright
from extractors.offline.engine import OcrEngine
from extractors.offline.receipts.fields import receipt_answer
from extractors.report.evaluation import EvaluationReport, evaluate, load_truth

_GOALS = {"company": 0.95, "date": 0.95, "address": 0.85, "total": 0.95}


# Sorted by name, every third receipt is held out: rules are never written from these.
HELD_OUT_EVERY = 3


def split(stems: list[str]) -> dict[str, list[str]]:
    """The development and held-out receipts, by the fixed rule above."""
    ordered = sorted(stems)
    held = [s for i, s in enumerate(ordered) if i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1]
    return {"development": [s for s in ordered if s not in held], "held-out": held}


def encoded(path: Path) -> bytes:
    """The receipt as the pipeline sends it to the engine."""
    buffer = io.BytesIO()
    turn_upright(sent_image(path)).image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def read(engine: OcrEngine, pages: dict[str, bytes], truth: dict) -> tuple[EvaluationReport, float]:
    """The fields scored by `visionbatch eval`'s own evaluation, and the mean word F1 of the
    text against the receipts' ground-truth lines (`sroie_NNN.csv`)."""
    rows, scores = [], []
    for stem, data in pages.items():
        text = engine.transcribe_encoded(data)
        scores.append(word_f1(text.splitlines(), sroie_lines(CORPUS / "receipts" / stem)))
        answer = receipt_answer(text)
        if answer.startswith("{"):
            rows.append({"status": "ok", "source": f"{stem}.jpg", **json.loads(answer)})
        else:  # "not a receipt: ...", an error row: run, and every field missed
            rows.append({"status": "error", "source": f"{stem}.jpg", "error": answer})
    return evaluate(rows, truth), sum(scores) / len(scores)


def measure() -> list[Measurement]:
    folder = CORPUS / "receipts"
    if not folder.is_dir():
        return [Measurement("receipt_fields", f"skipped: no corpus at {CORPUS}", 0.0)]
    truth = load_truth(folder)
    pages = {path.stem: encoded(path) for path in sorted(folder.glob("*.jpg"))}
    lines, took = [], {False: 0.0, True: 0.0}
    for name, stems in split(list(pages)).items():
        report, f1 = {}, {}
        for second_reading in (False, True):
            started = time.perf_counter()
            engine = OcrEngine(second_reading=second_reading)
            chosen = {stem: pages[stem] for stem in stems}
            report[second_reading], f1[second_reading] = read(engine, chosen, truth)
            took[second_reading] += time.perf_counter() - started
        lines += set_lines(name, len(stems), report, f1)
    lines.append(
        Measurement(
            "receipt_fields",
            "OCR time, with second reading / without",
            took[True],
            took[False],
            "",
            None,
            f"{len(pages)} receipts; {took[True]:.0f} s against {took[False]:.0f} s",
        )
    )
    return lines


def set_lines(
    name: str, size: int, report: dict[bool, EvaluationReport], f1: dict[bool, float]
) -> list[Measurement]:
    """One set's field accuracy and word F1, with second reading and without."""
    lines = []
    for score, before in zip(report[True].scores, report[False].scores, strict=True):
        goal = _GOALS[score.field]
        lines.append(
            Measurement(
                "receipt_fields",
                f"{name}: {score.field} right, with second reading / without",
                score.correct,
                before.correct,
                f"accuracy >= {goal}",
                score.accuracy >= goal,
                f"{score.correct}/{score.total} = {score.accuracy:.3f} against "
                f"{before.correct}/{before.total}",
            )
        )
    lines.append(
        Measurement(
            "receipt_fields",
            f"{name}: word F1 on {size} receipts, with second reading / without",
            f1[True],
            f1[False],
            "",
            None,
            f"{f1[True]:.4f} against {f1[False]:.4f}",
        )
    )
    return lines


def main() -> None:
    print_measurements(measure())


if __name__ == "__main__":
    sys.exit(main())
