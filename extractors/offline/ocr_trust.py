"""How far the embedded engine's reading of one image can be trusted, from its own report."""

from extractors.offline.ocr_report import UNREAD_LINES_WARNING, UNSUPPORTED_SCRIPT
from extractors.records import OcrPage
from extractors.trust import Doubt, Trust

# The page is in a script the recogniser has no letters for (its text layer says so): what it
# answered is the page's digits and Latin look-alikes at best, not its text.
_UNSUPPORTED_FACTOR = 0.2
# Lines the detector found but the recogniser returned nothing for: the text is missing them,
# and the lines it did return may be another script read as look-alikes.
_UNREAD_FACTOR = 0.5
# Any other warning of the engine's.
_WARNING_FACTOR = 0.5
# With no line read, the engine's prior for an empty page (ink is judged by the rows).
_NO_LINES_BASE = 0.9


def ocr_trust(page: OcrPage) -> Trust:
    """The character-weighted mean of the recogniser's line scores, doubted for each of the
    engine's warnings: it warns of unread lines past noise (ocr_report.page_warnings), and a
    line or two of a stamp or a smudge left unread costs nothing."""
    weights = [max(1, len(line.text.strip())) for line in page.lines]
    base = (
        sum(line.score * w for line, w in zip(page.lines, weights, strict=True)) / sum(weights)
        if page.lines
        else _NO_LINES_BASE
    )
    return Trust(base, tuple(Doubt(warning, _factor(warning)) for warning in page.warnings))


def _factor(warning: str) -> float:
    if warning.startswith(UNSUPPORTED_SCRIPT):
        return _UNSUPPORTED_FACTOR
    if warning.startswith(UNREAD_LINES_WARNING):
        return _UNREAD_FACTOR
    return _WARNING_FACTOR
