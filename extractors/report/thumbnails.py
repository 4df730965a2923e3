"""A small picture of a page, drawn from its source file when the report is made.

The page is drawn as it was read: a PDF page with PyMuPDF, an image frame with Pillow (its
EXIF orientation applied), then turned upright by the row's `rotation`, as the pipeline turned
it before sending it. A document row keeps no turn: where its citations are boxes of the
embedded engine's lines (shares of the page as sent, upright), the page's turn is judged again
as the pipeline judged it. A source that cannot be drawn (remote, missing, changed since it
was read, unreadable) gets no picture but the reason, which the page shows in its place.
"""

import base64
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pillow_heif
import pymupdf
from PIL import Image, ImageOps, UnidentifiedImageError

from extractors.discover.formats import IMAGE_FORMATS, PDF, SVG
from extractors.discover.storage import is_remote
from extractors.load.orientation import is_scanned_pdf_page, upright_rotation

pillow_heif.register_heif_opener()


WIDTH = 200


# Wide enough for the orientation judge, which reads the ink's line profiles at 1024 pixels.
_JUDGED_WIDTH = 1024


_QUALITY = 70


# A picture this large is not decoded for a thumbnail (the pipeline's own guard is 150 Mpx).
_MAX_PIXELS = 150_000_000


_MUPDF_ERRORS = (RuntimeError, ValueError, IndexError, pymupdf.mupdf.FzErrorBase)


_PILLOW_ERRORS = (UnidentifiedImageError, OSError, ValueError, EOFError)


@dataclass(frozen=True)
class Thumbnail:
    """A JPEG data URL and its size in pixels, or why there is none (`missing`)."""

    data_url: str | None
    width: int
    height: int
    missing: str | None = None
    # Clockwise degrees the page was turned, as the row says or as judged again.
    rotation: int | None = None


def page_thumbnail(
    source: str,
    sha256: str,
    source_format: str,
    page: int,
    rotation: int | None,
    judge_rotation: bool = False,
) -> Thumbnail:
    """Page `page` (1-based) of `source`, WIDTH pixels wide, turned by `rotation` degrees; a
    scan's turn is judged again when `rotation` is None and `judge_rotation` asks for it."""
    problem = _cannot_draw(source, sha256)
    if problem is not None:
        return _missing(problem)
    judge = judge_rotation and rotation is None
    try:
        drawn = _drawn(Path(source), source_format, page, _JUDGED_WIDTH if judge else WIDTH)
    except (*_MUPDF_ERRORS, *_PILLOW_ERRORS) as exc:
        return _missing(f"cannot draw page {page}: {str(exc).strip() or type(exc).__name__}")
    if drawn is None:
        return _missing(f"cannot draw page {page} of this {source_format} file")
    image, scanned = drawn
    if judge and scanned:
        rotation = upright_rotation(image)
    if rotation:
        image = image.rotate(-rotation, expand=True)  # clockwise, as the pipeline turns it
    return _encoded(image, rotation)


def _cannot_draw(source: str, sha256: str) -> str | None:
    """Why the source cannot be drawn as it was read; None when it can."""
    if is_remote(source):
        return "remote source: not fetched for the report"
    path = Path(source)
    if not path.is_file():
        return "source not found where it was read"
    with path.open("rb") as handle:
        if hashlib.file_digest(handle, "sha256").hexdigest() != sha256:
            return "source changed since it was read"
    return None


def _missing(reason: str) -> Thumbnail:
    return Thumbnail(None, WIDTH, round(WIDTH * 1.294), reason)


def _drawn(
    path: Path, source_format: str, page: int, width: int
) -> tuple[Image.Image, bool] | None:
    """The page about `width` wide, and whether it is a scan (or photo); None: not drawable."""
    if source_format in (PDF, SVG):
        return _pdf_page(path, source_format, page, width)
    if source_format in IMAGE_FORMATS:
        frame = _image_frame(path, page, width)
        return None if frame is None else (frame, True)
    return None


def _pdf_page(
    path: Path, source_format: str, page: int, width: int
) -> tuple[Image.Image, bool] | None:
    with pymupdf.open(path, filetype=source_format) as document:
        if document.needs_pass:
            return None
        pdf_page = document[page - 1]
        zoom = width / max(pdf_page.rect.width, 1)
        pixmap = pdf_page.get_pixmap(
            matrix=pymupdf.Matrix(zoom, zoom), alpha=False, colorspace=pymupdf.csRGB
        )
        image = Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)
        return image, source_format == PDF and is_scanned_pdf_page(pdf_page)


def _image_frame(path: Path, page: int, width: int) -> Image.Image | None:
    with Image.open(path) as image:
        if image.width * image.height > _MAX_PIXELS:
            return None
        image.seek(page - 1)
        if image.format == "JPEG":
            image.draft("RGB", (width * 2, width * 4))  # decode at a reduced scale
        image.load()
        frame = ImageOps.exif_transpose(image).convert("RGB")
    frame.thumbnail((width, width * 4), Image.Resampling.LANCZOS)
    return frame


def _encoded(image: Image.Image, rotation: int | None) -> Thumbnail:
    """WIDTH wide, as an inline JPEG."""
    if image.width != WIDTH:
        height = max(1, round(image.height * WIDTH / image.width))
        image = image.resize((WIDTH, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=_QUALITY)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Thumbnail(f"data:image/jpeg;base64,{data}", image.width, image.height, None, rotation)
