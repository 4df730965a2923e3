"""What MuPDF says while a page is read or drawn: kept off stdout, and put on the page's row."""

import pymupdf

from extractors.trust import Doubt

# MuPDF prints its errors and warnings on stdout by default ("MuPDF error: format error: cycle in
# page tree"), which breaks `--json`; they are still stored (pymupdf.TOOLS.mupdf_warnings): what
# it says while reading or drawing a page goes to that page's row (`page_messages`), and what
# is wrong with a whole file reaches its rows as the error PyMuPDF raises.
pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)

# A page MuPDF complained about while reading or drawing it ("syntax error: unknown keyword:
# 'foo'", "page may not be correct") may be read or drawn wrong: its row says so, a little
# less sure.
MUPDF_MESSAGE_FACTOR = 0.9
# A page's messages kept in its warning, at most (a broken stream can repeat one per operator).
_MAX_MESSAGES_CHARS = 300


def page_messages() -> str | None:
    """MuPDF's messages since the store was last emptied, each once, as one warning; reading
    them empties the store.

    Only what MuPDF says while a loaded page is read or drawn is the page's: the store is
    emptied after the page is loaded. What opening the file and finding its pages say
    (`repairing PDF document`, `cycle in page tree`) is about the file, and comes once per
    process, on whichever page is loaded first: it is left out, and a page it does damage
    fails or reads wrong on its own.
    """
    lines = pymupdf.TOOLS.mupdf_warnings().splitlines()
    messages = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
    if not messages:
        return None
    text = "; ".join(messages)
    if len(text) > _MAX_MESSAGES_CHARS:
        text = text[: _MAX_MESSAGES_CHARS - 3] + "..."
    return f"MuPDF: {text}"


def mupdf_doubt(note: str) -> Doubt:
    """A page's MuPDF messages as a doubt of its row."""
    return Doubt(note, MUPDF_MESSAGE_FACTOR)
