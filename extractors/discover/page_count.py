"""How many pages the inputs hold, counted beside the run for its progress bar's total.

A PDF's page count is in its page tree, read when PyMuPDF opens it (no page is loaded); an
image's frames come from its header through Pillow. A file that cannot be read counts as the
one error row it becomes. Remote files are not fetched for this: their total stays unknown.
Measured by `benchmarks/page_count.py`.
"""

from collections.abc import Iterable
from pathlib import Path

import pymupdf
from PIL import Image

from extractors.discover.files import discover
from extractors.discover.formats import MULTI_PAGE_IMAGE_FORMATS, PDF, SVG, detect_format
from extractors.discover.page_ranges import EVERY_PAGE, PageRanges
from extractors.discover.storage import is_remote
from extractors.errors import SourceError
from extractors.options import DiscoveryOptions

# MuPDF prints what is wrong with a damaged file on stdout unless told not to.
pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)

_HEAD = 1024


def count_pages(
    inputs: Iterable[str | Path],
    exclude: Iterable[str | Path] = (),
    options: DiscoveryOptions | None = None,
    password: str | None = None,
    pages: PageRanges = EVERY_PAGE,
) -> int | None:
    """The pages of every file `discover` yields that `--pages` selects; None when some are
    remote (not fetched)."""
    total = 0
    for found in discover(inputs, exclude, options):
        if not isinstance(found, str):
            total += 1  # refused: one error row
        elif is_remote(found):
            return None
        else:
            total += _selected(pages_in(found, password), pages)
    return total


def _selected(count: int, pages: PageRanges) -> int:
    """The rows a file of `count` pages gives under `--pages`. An unreadable file counts as one
    page too (its error row): under a range that leaves out page 1 it is missed, and the bar's
    total is made right when the last file is done."""
    return len(pages.of(count))


def pages_in(path: str, password: str | None = None) -> int:
    """The pages a local file becomes: its page count, or 1 for the error row it gives."""
    try:
        with Path(path).open("rb") as file:
            kind = detect_format(Path(path), file.read(_HEAD))
        if kind in (PDF, SVG):
            return _document_pages(path, kind, password)
        if kind in MULTI_PAGE_IMAGE_FORMATS:
            with Image.open(path) as image:
                return max(1, int(getattr(image, "n_frames", 1)))
    except (SourceError, OSError, ValueError, RuntimeError, pymupdf.mupdf.FzErrorBase):
        return 1
    return 1


def _document_pages(path: str, kind: str, password: str | None) -> int:
    with pymupdf.open(path, filetype=kind) as document:
        if document.needs_pass and not (password and document.authenticate(password)):
            return 1  # refused without its password: one error row
        return max(1, document.page_count)
