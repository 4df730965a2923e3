"""How close OCR text is to its ground truth: character error rate and word F1."""

import csv
from collections import Counter
from pathlib import Path


def normalised(text: str) -> str:
    """The text's non-empty lines, each with its runs of whitespace as one space."""
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def character_error_rate(text: str, truth: str) -> float:
    """Levenshtein distance over the truth's length, both normalised (`normalised`)."""
    got, want = normalised(text), normalised(truth)
    previous = list(range(len(want) + 1))
    for i, a in enumerate(got, start=1):
        current = [i]
        for j, b in enumerate(want, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1] / max(1, len(want))


def word_f1(lines: list[str], truth: list[str]) -> float:
    """F1 of the words read (split on spaces, uppercased) against the truth's, as multisets:
    a word run together with its neighbour counts as missed."""
    got = Counter(word.upper() for line in lines for word in line.split())
    want = Counter(word.upper() for line in truth for word in line.split())
    matched = sum((got & want).values())
    return 2 * matched / max(1, sum(got.values()) + sum(want.values()))


def sroie_lines(path: Path) -> list[str]:
    """A SROIE receipt's ground-truth lines: its `.csv` rows, eight box coordinates and the text."""
    with path.with_suffix(".csv").open(encoding="utf-8") as handle:
        return [",".join(row[8:]) for row in csv.reader(handle) if row]
