"""The 200-page fault mix: its fault rates and marked inputs (the slow test and benchmarks)."""

from pathlib import Path

from markers import make_marked_image, make_marked_pdf

FAULT_MIX = {
    # 10% 429, 5% 5xx, 2% hangs, 2% resets
    "status:429": 0.10,
    "status:500": 0.02,
    "status:502": 0.01,
    "status:503": 0.01,
    "status:504": 0.01,
    "hang:3": 0.02,
    "reset": 0.02,
    # 5% bad answers
    "invalid_json": 0.01,
    "truncated": 0.01,
    "fenced": 0.01,
    "empty": 0.01,
    "bare_list": 0.01,
    # 20% shuffled / missing / duplicated items
    "shuffled": 0.04,
    "missing": 0.04,
    "duplicated": 0.03,
    "conflicting_duplicate": 0.03,
    "extra": 0.03,
    "out_of_range": 0.03,
}


def make_fault_mix_inputs(folder: Path) -> int:
    """200 pages: ten 12-page PDFs and 80 single-page images, each page marked."""
    folder.mkdir(parents=True, exist_ok=True)
    for doc in range(1, 11):
        make_marked_pdf(folder / f"doc_{doc}.pdf", doc, 12)
    for index in range(80):
        make_marked_image(folder / f"img_{index + 11}.jpg", index + 11, size=(300, 400))
    return 200
