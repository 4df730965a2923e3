"""Opening inputs with the reader, planning their pages, and checking the JPEGs it renders."""

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image

from extractors.errors import SourceError
from extractors.load.identify import identify
from extractors.load.reader import DocumentReader
from extractors.options import RenderOptions
from extractors.plan.profiles.pixtral import PixtralProfile
from extractors.plan.sizing import size_page
from extractors.records import DocumentLayout, PlannedPage, RenderedImage, SourceFile

OPTIONS = RenderOptions()
LETTER_PT = (612, 792)
LETTER_200_DPI = (1700, 2200)


def open_layout(path: Path, password: str | None = None, options: RenderOptions = OPTIONS):
    return read_layout(identify(path), options, password)


def plan_pages(layout, profile=None, budget: int = 100_000) -> list[PlannedPage]:
    profile = profile or PixtralProfile()
    return [
        size_page(i, w, h, profile, budget) for i, (w, h) in enumerate(layout.page_sizes, start=1)
    ]


def decode_jpeg(rendered: RenderedImage) -> Image.Image:
    assert rendered.mime == "image/jpeg"
    assert rendered.data[:2] == b"\xff\xd8"
    image = Image.open(io.BytesIO(rendered.data))
    assert image.format == "JPEG"
    assert image.size == (rendered.width, rendered.height)
    return image


def rendered_image(result) -> RenderedImage:
    assert isinstance(result, RenderedImage), f"expected an image, got {result!r}"
    return result


def gray_levels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.float64)


def make_gray_pdf(path: Path, fills: list[float], size: tuple[float, float] = LETTER_PT) -> Path:
    """A PDF whose page i is filled with gray level fills[i] (0 black .. 1 white)."""
    document = pymupdf.open()
    for level in fills:
        page = document.new_page(width=size[0], height=size[1])
        page.draw_rect(page.rect, color=None, fill=(level, level, level))
    document.save(path)
    document.close()
    return path


def read_layout(
    source: SourceFile, options: RenderOptions, password: str | None
) -> tuple[DocumentReader, DocumentLayout]:
    """Open a document and read its layout; the reader stays open for rendering."""
    reader = DocumentReader(source, options, password)
    try:
        return reader, reader.layout()
    except BaseException:
        reader.close()
        raise


def render_pages(
    reader: DocumentReader, pages: Sequence[PlannedPage], pad_to_square: bool
) -> list[RenderedImage | SourceError]:
    """Render several pages; a page that cannot be drawn gives its error in its place."""
    results: list[RenderedImage | SourceError] = []
    for page in pages:
        try:
            results.append(reader.render(page, pad_to_square))
        except SourceError as exc:
            results.append(exc)
    return results
