"""Reading one input: its pages' sizes, and each page drawn at the size planned for it."""

import io
import stringprep
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pillow_heif
import pymupdf
from PIL import Image, ImageOps, UnidentifiedImageError

from extractors.discover.formats import IMAGE_FORMATS, MULTI_PAGE_IMAGE_FORMATS, PDF, SVG
from extractors.errors import SourceError
from extractors.load.blank import judge_blank
from extractors.load.content_box import (
    PROBE_SIDE,
    cropped_size,
    ink_box,
    pdf_clip,
    pdf_content_box,
    turned_box,
)
from extractors.load.glyph_size import shrunk_to_print
from extractors.load.image_frames import frame_at_size, oriented_size, reduced_gray
from extractors.load.ink import ink_share
from extractors.load.mupdf_messages import mupdf_doubt, page_messages
from extractors.load.orientation import UprightPage, is_scanned_pdf_page, turn_upright
from extractors.load.text_layer import judge_text_layer, read_text_layer
from extractors.options import RenderOptions, TextLayerMode
from extractors.records import (
    Box,
    DocumentLayout,
    PlannedPage,
    RenderedImage,
    SourceFile,
    TextLayer,
)
from schemas.text_layer import TextLayerVerdict

pillow_heif.register_heif_opener()

# What PyMuPDF raises for damaged files and pages: its own error classes and RuntimeError.
_MUPDF_ERRORS = (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase)


# Our own pixel limit (RenderOptions.max_source_pixels) is checked before decoding; Pillow's
# warning below it would only repeat that check.
Image.MAX_IMAGE_PIXELS = None


_WHITE = (255, 255, 255)


class DocumentReader:
    """Reads one document's layout and renders its pages; keep it on one thread (PyMuPDF)."""

    def __init__(self, source: SourceFile, options: RenderOptions, password: str | None) -> None:
        self.source = source
        self._options = options
        self._password = password
        self._pdf: pymupdf.Document | None = None
        # Content boxes found while the layout was read (`--crop-margins`), by page.
        self._boxes: dict[int, Box | None] = {}

    def layout(self, read_text: bool = True) -> DocumentLayout:
        """The pages and their native pixel sizes, and each PDF page's text layer unless
        `read_text` is False or `--text-layer off`; SourceError when the file cannot be read."""
        layers: tuple[TextLayer, ...] = ()
        if self.source.format in (PDF, SVG):
            sizes = self._pdf_page_sizes()
            reads_text = read_text and self._options.text_layer != TextLayerMode.OFF
            if self.source.format == PDF and reads_text:
                layers = self._text_layers()
        elif self.source.format in IMAGE_FORMATS:
            sizes = self._image_frame_sizes()
        else:
            raise SourceError(f"unsupported file type ({self.source.format})")
        if not sizes:
            raise SourceError("document has no pages")
        if not self._options.crop_margins:
            return DocumentLayout(self.source, tuple(sizes), layers)
        boxes = tuple(self._content_box(page) for page in range(1, len(sizes) + 1))
        cropped = tuple(cropped_size(size, box) for size, box in zip(sizes, boxes, strict=True))
        return DocumentLayout(self.source, cropped, layers, boxes, tuple(sizes))

    def render(self, page: PlannedPage, pad_to_square: bool) -> RenderedImage:
        """One page at its planned size, encoded for the wire, with what MuPDF said while
        drawing it; SourceError if it cannot be drawn."""
        notes: tuple[str, ...] = ()
        crop = self._content_box(page.page) if self._options.crop_margins else None
        if self.source.format in (PDF, SVG):
            image, notes = self._render_pdf_page(page, crop)
        else:
            image = self._render_image_frame(page, crop)
        upright = self._turned_upright(page.page, image)
        image = upright.image
        # Judged before any padding: white padding is not the page's paper.
        blank = judge_blank(image).blank
        if self._options.min_glyph_px and not blank:
            image = shrunk_to_print(image, self._options.min_glyph_px)
        if pad_to_square and image.width != image.height:
            image = ImageOps.pad(image, (max(image.size),) * 2, color=_WHITE)
        encoded = self._encode(page.page, image, upright.rotation)
        turned = None if crop is None else turned_box(crop, upright.rotation)
        return replace(encoded, notes=notes, blank=blank, crop=turned)

    def _content_box(self, page_no: int) -> Box | None:
        """The page's content box: found once per reader (the layout's, or on this page's first
        drawing in another worker: the same, from the same pixels)."""
        if page_no not in self._boxes:
            self._boxes[page_no] = self._find_content_box(page_no)
        return self._boxes[page_no]

    def _find_content_box(self, page_no: int) -> Box | None:
        try:
            if self.source.format in (PDF, SVG):
                return pdf_content_box(self._open_pdf()[page_no - 1])
            with self._open_image() as image:
                image.seek(page_no - 1)
                return ink_box(reduced_gray(image, PROBE_SIDE))
        except (*_MUPDF_ERRORS, IndexError, OSError, EOFError):
            return None  # a page that cannot be probed is sent whole; drawing it will say why

    # Orientation: scans and photos are turned upright; born-digital pages are left alone.
    def _turned_upright(self, page_no: int, image: Image.Image) -> UprightPage:
        if self.source.format == SVG:
            return UprightPage(image, None)
        if self.source.format == PDF and not is_scanned_pdf_page(self._open_pdf()[page_no - 1]):
            return UprightPage(image, None)
        return turn_upright(image)

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None

    # PDF and SVG, through PyMuPDF
    def _open_pdf(self) -> pymupdf.Document:
        if self._pdf is not None:
            return self._pdf
        kind = "svg" if self.source.format == SVG else "pdf"
        try:
            document = pymupdf.open(self.source.readable_path, filetype=kind)
        except _MUPDF_ERRORS as exc:
            reason = _one_line(exc).replace(self.source.readable_path, Path(self.source.path).name)
            raise SourceError(f"cannot open {kind.upper()}: {reason}") from exc
        if document.needs_pass:
            if self._password is None:
                document.close()
                raise SourceError("encrypted PDF: a password is needed (--password)")
            if not any(document.authenticate(p) for p in _password_forms(self._password)):
                document.close()
                raise SourceError("encrypted PDF: the password given does not open it")
        self._pdf = document
        return document

    def _pdf_page_sizes(self) -> list[tuple[int, int]]:
        document = self._open_pdf()
        scale = self._options.max_dpi / 72
        sizes = []
        for index in range(document.page_count):
            try:
                rect = document[index].rect  # CropBox, rotated by /Rotate, UserUnit applied
            except _MUPDF_ERRORS:  # a damaged page still counts: it becomes its own error row
                rect = pymupdf.Rect(0, 0, 612, 792)
            sizes.append((max(1, round(rect.width * scale)), max(1, round(rect.height * scale))))
        return sizes

    def _text_layers(self) -> tuple[TextLayer, ...]:
        """Each page's text layer, read while the layout is (no second pass over the file)."""
        document = self._open_pdf()
        judge = judge_text_layer if self._options.layer_verdict_only else read_text_layer
        layers = []
        for index in range(document.page_count):
            try:
                pdf_page = document[index]
                pymupdf.TOOLS.reset_mupdf_warnings()
                layer = judge(pdf_page)
            except _MUPDF_ERRORS:  # a damaged page: drawing it will say what is wrong
                layers.append(TextLayer(TextLayerVerdict.NONE, 0, 0.0))
                continue
            note = page_messages()
            if note is not None:
                layer = replace(layer, doubts=(*layer.doubts, mupdf_doubt(note)))
            layers.append(layer)
        return tuple(layers)

    def _render_pdf_page(
        self, page: PlannedPage, crop: Box | None
    ) -> tuple[Image.Image, tuple[str, ...]]:
        """The page (or its `crop`) drawn, and what MuPDF said while drawing it (as a row's
        warning)."""
        document = self._open_pdf()
        try:
            pdf_page = document[page.page - 1]
            clip = pdf_page.rect if crop is None else pdf_clip(pdf_page.rect, crop)
            matrix = pymupdf.Matrix(page.width / clip.width, page.height / clip.height)
            pymupdf.TOOLS.reset_mupdf_warnings()
            pixmap = pdf_page.get_pixmap(
                matrix=matrix,
                alpha=False,
                colorspace=pymupdf.csRGB,
                clip=None if crop is None else clip,
            )
        except (*_MUPDF_ERRORS, IndexError) as exc:  # IndexError: no such page (any more)
            raise SourceError(f"cannot render page {page.page}: {_one_line(exc)}") from exc
        note = page_messages()
        image = Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)
        if image.size != (page.width, page.height):  # a clip's edges, rounded outwards
            image = _exactly(image, (page.width, page.height))
        return image, () if note is None else (note,)

    # Raster images, through Pillow
    @contextmanager
    def _open_image(self) -> Iterator[Image.Image]:
        try:
            with Image.open(self.source.readable_path) as image:
                self._check_pixels(image)
                yield image
        except (UnidentifiedImageError, OSError, ValueError, EOFError) as exc:
            reason = _one_line(exc).replace(self.source.readable_path, Path(self.source.path).name)
            raise SourceError(f"cannot read {self.source.format} image: {reason}") from exc

    def _check_pixels(self, image: Image.Image) -> None:
        """Refuse a frame too large to decode safely, before its pixels are decoded."""
        pixels = image.width * image.height
        if pixels > self._options.max_source_pixels:
            raise SourceError(
                f"image is {image.width}x{image.height} ({pixels / 1e6:.0f} Mpx), over the "
                f"{self._options.max_source_pixels / 1e6:.0f} Mpx limit (decompression-bomb guard)"
            )

    def _image_frame_sizes(self) -> list[tuple[int, int]]:
        with self._open_image() as image:
            frames = getattr(image, "n_frames", 1)
            if self.source.format not in MULTI_PAGE_IMAGE_FORMATS:
                frames = 1  # animations and stereo pairs: the first frame is the document
            sizes = []
            for frame in range(frames):
                image.seek(frame)
                self._check_pixels(image)
                sizes.append(oriented_size(image))
            return sizes

    def _render_image_frame(self, page: PlannedPage, crop: Box | None) -> Image.Image:
        with self._open_image() as image:
            try:
                image.seek(page.page - 1)
                self._check_pixels(image)
                return frame_at_size(image, (page.width, page.height), crop=crop)
            except (OSError, ValueError, EOFError) as exc:
                raise SourceError(
                    f"cannot decode image frame {page.page}: {_one_line(exc)}"
                ) from exc

    def _encode(self, page_no: int, image: Image.Image, rotation: int | None) -> RenderedImage:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=self._options.jpeg_quality)
        data = buffer.getvalue()
        return RenderedImage(
            page_no, image.width, image.height, "image/jpeg", data, rotation, ink=ink_share(image)
        )


def _exactly(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A drawing a pixel too large cut to size (its rounded edge); otherwise resized."""
    if image.width >= size[0] and image.height >= size[1]:
        return image.crop((0, 0, *size))
    return image.resize(size, Image.Resampling.LANCZOS)


def _password_forms(password: str) -> list[str]:
    """The password as typed, then its SASLprep form: AES-256 (R6) PDFs need it and MuPDF
    does not apply it (RFC 4013: drop B.1 characters, non-ASCII spaces to space, NFKC)."""
    mapped = "".join(
        " " if stringprep.in_table_c12(c) else c for c in password if not stringprep.in_table_b1(c)
    )
    prepared = unicodedata.normalize("NFKC", mapped)
    return [password] if prepared == password else [password, prepared]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__
