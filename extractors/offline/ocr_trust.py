"""How far the embedded engine's reading of one image can be trusted, from its own report."""

from extractors.records import OcrPage
from extractors.trust import Doubt, Trust

# Lines the detector found but the recogniser returned nothing for: a script it cannot read,
# or ink too faint; the text is missing those lines, and says nothing of it.
_UNREAD_FACTOR = 0.5
# With no line read, the engine's prior for an empty page (ink is judged by the rows).
_NO_LINES_BASE = 0.9


def ocr_trust(page: OcrPage) -> Trust:
    """The character-weighted mean of the recogniser's line scores, doubted for lines found but
    not read and for the engine's own warnings."""
    weights = [max(1, len(line.text.strip())) for line in page.lines]
    base = (
        sum(line.score * w for line, w in zip(page.lines, weights, strict=True)) / sum(weights)
        if page.lines
        else _NO_LINES_BASE
    )
    doubts = [Doubt(warning, _UNREAD_FACTOR) for warning in page.warnings]
    unread = page.detected_lines - len(page.lines)
    if unread > 0 and not page.warnings:
        doubts.append(
            Doubt(
                f"lines the embedded engine could not read: {unread} of {page.detected_lines}",
                _UNREAD_FACTOR,
            )
        )
    return Trust(base, tuple(doubts))
