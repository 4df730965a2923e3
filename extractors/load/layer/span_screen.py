"""Whether any of a page's text can be hidden, from one pass over what the page paints.

`find_hidden_text` needs `get_texttrace()`: every character with its box, about half of what
judging a dense page costs. Whether any span can be hidden at all needs far less: each text
span's paint call (render mode, opacity, colour, size), where its first and last characters sit,
and what is filled before and after it. This device records that much, and clears a page only
when no span can meet any of `hidden_text`'s reasons; a page it does not clear gets the trace.

Each test is looser than the reason it stands for, so the screen never clears a page the trace
would find hidden text on: a span's box holds its characters' origins (the trace builds each
character's box from its origin, ascender and descender), so a fill that holds the box holds
both origins; a box off the page has its origins off it; a colour within the trace's
tolerance of its background is within a wider one of white or of some fill painted before it.
"""

import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pymupdf
from pymupdf import mupdf

from extractors.load.layer.hidden_text import MIN_OPACITY, MIN_SIZE, SAME_COLOUR
from extractors.load.layer.paint import SLACK

# Room for rounding between this pass and the trace (both run the same MuPDF calls).
_EPSILON = 0.01
# Colours compared more loosely than the trace does: the background is not located here.
_NEAR_COLOUR = 2 * SAME_COLOUR + 0.02
_WHITE = (1.0, 1.0, 1.0)
# Characters per span below which this pass costs more than the trace: ~20 us a span here
# (Python), ~2.5 us a character there (C), on the benchmark's and the corpus's pages.
_SPAN_CHARS = 10
_UNIT = mupdf.FzRect(0, 0, 1, 1)


class _Screen(mupdf.FzDevice2):
    """Records text spans and filled areas in painting order; gives up on text not painted."""

    def __init__(self, most_spans: int) -> None:
        super().__init__()
        # Stops MuPDF's walk as soon as the answer is known: the trace will run anyway.
        self.cookie = mupdf.FzCookie()
        self._most_spans = most_spans
        for use in (
            self.use_virtual_fill_text,
            self.use_virtual_stroke_text,
            self.use_virtual_clip_text,
            self.use_virtual_clip_stroke_text,
            self.use_virtual_ignore_text,
            self.use_virtual_fill_path,
            self.use_virtual_fill_shade,
            self.use_virtual_fill_image,
            self.use_virtual_fill_image_mask,
        ):
            use()
        self.order = 0
        # (order, first x, first y, last x, last y, size) of each span; (order, x0, y0, x1, y1)
        # of each filled area; (order, r, g, b) of each filled path's and filled text's colour.
        self.spans: list[tuple[float, ...]] = []
        self.fills: list[tuple[float, ...]] = []
        self.fill_colours: list[tuple[float, ...]] = []
        self.text_colours: list[tuple[float, ...]] = []
        self.may_hide = False

    def give_up(self) -> None:
        """Leave the page to the trace: some text may hide, or this pass costs more than it."""
        self.may_hide = True
        self.cookie.set_abort()

    def fill_text(
        self, ctx: Any, text: Any, ctm: Any, colorspace: Any, color: Any, alpha: Any, params: Any
    ) -> None:
        self._guarded(lambda: self._text(text, ctm, alpha, _rgb(colorspace, color)))

    def stroke_text(
        self,
        ctx: Any,
        text: Any,
        stroke: Any,
        ctm: Any,
        colorspace: Any,
        color: Any,
        alpha: Any,
        params: Any,
    ) -> None:
        # A stroked glyph is not judged by its colour.
        self._guarded(lambda: self._text(text, ctm, alpha, None))

    def clip_text(self, ctx: Any, text: Any, ctm: Any, scissor: Any) -> None:
        self._unpainted(text)

    def clip_stroke_text(self, ctx: Any, text: Any, stroke: Any, ctm: Any, scissor: Any) -> None:
        self._unpainted(text)

    def ignore_text(self, ctx: Any, text: Any, ctm: Any) -> None:
        self._unpainted(text)

    def fill_path(
        self,
        ctx: Any,
        path: Any,
        even_odd: Any,
        ctm: Any,
        colorspace: Any,
        color: Any,
        alpha: Any,
        params: Any,
    ) -> None:
        def record() -> None:
            self._fill(mupdf.ll_fz_bound_path(path, None, ctm))
            self.fill_colours.append((self.order, *_rgb(colorspace, color)))

        self._guarded(record)

    def fill_shade(self, ctx: Any, shade: Any, ctm: Any, alpha: Any, params: Any) -> None:
        self._guarded(lambda: self._fill(mupdf.ll_fz_bound_shade(shade, ctm)))

    def fill_image(self, ctx: Any, image: Any, ctm: Any, alpha: Any, params: Any) -> None:
        self._guarded(lambda: self._fill(mupdf.ll_fz_transform_rect(_UNIT.internal(), ctm)))

    def fill_image_mask(
        self, ctx: Any, image: Any, ctm: Any, colorspace: Any, color: Any, alpha: Any, params: Any
    ) -> None:
        self._guarded(lambda: self._fill(mupdf.ll_fz_transform_rect(_UNIT.internal(), ctm)))

    def _guarded(self, record: Callable[[], None]) -> None:
        """A call this pass cannot record leaves the page to the trace (MuPDF would swallow
        the error raised inside its device, and the page would look clear)."""
        if self.may_hide:
            return
        try:
            record()
        except Exception:  # noqa: BLE001 - any failure here only means: run the trace
            self.give_up()

    def _fill(self, rect: mupdf.fz_rect) -> None:
        self.order += 1
        self.fills.append((self.order, rect.x0, rect.y0, rect.x1, rect.y1))

    def _unpainted(self, text: mupdf.fz_text) -> None:
        if text.head:  # invisible (mode 3) or clip-only (modes 4-7) text
            self.give_up()

    def _text(
        self, text: mupdf.fz_text, ctm: mupdf.fz_matrix, alpha: float, colour: tuple | None
    ) -> None:
        self.order += 1
        if alpha < MIN_OPACITY + _EPSILON:
            self.give_up()
        span = text.head
        while span and not self.may_hide:
            if span.len:
                self._span(mupdf.FzTextSpan(span), mupdf.FzMatrix(ctm), colour)
            span = span.next

    def _span(self, span: mupdf.FzTextSpan, ctm: mupdf.FzMatrix, colour: tuple | None) -> None:
        matrix = mupdf.fz_concat(span.trm(), ctm)
        direction = mupdf.fz_transform_vector(mupdf.fz_make_point(1, 0), matrix)
        size = math.hypot(direction.x, direction.y)
        if size < MIN_SIZE + _EPSILON or not _origin_in_box(span):
            self.give_up()
        if len(self.spans) >= self._most_spans:  # short spans: the trace is the cheaper
            self.give_up()
        first, last = span.items(0), span.items(span.m_internal.len - 1)
        start = mupdf.fz_transform_point(mupdf.fz_make_point(first.x, first.y), ctm)
        end = mupdf.fz_transform_point(mupdf.fz_make_point(last.x, last.y), ctm)
        self.spans.append((self.order, start.x, start.y, end.x, end.y, size))
        if colour is not None:
            self.text_colours.append((self.order, *colour))


def _origin_in_box(span: mupdf.FzTextSpan) -> bool:
    """Whether the trace's box of each character holds its origin: its ascender above the
    baseline and its descender below (the trace's own fallback for a font without them)."""
    font = span.font()
    ascender, descender = pymupdf.JM_font_ascender(font), pymupdf.JM_font_descender(font)
    if ascender < 1e-3:
        return True  # the trace uses 0.9 and -0.1
    return descender <= 0 < ascender - descender


def _rgb(colorspace: mupdf.fz_colorspace | None, color: object) -> tuple[float, float, float]:
    """A paint call's colour as RGB, converted as PyMuPDF converts it for the trace."""
    if not colorspace:
        return 0.0, 0.0, 0.0
    rgb = mupdf.FzColorspace(mupdf.FzColorspace.Fixed_RGB)
    params = mupdf.FzColorParams()
    converted = mupdf.ll_fz_convert_color(
        colorspace, color, rgb.m_internal, None, params.internal()
    )
    return converted[0], converted[1], converted[2]


def may_hide_text(page: pymupdf.Page, chars: int = 0) -> bool:
    """False only when no text of the page can be hidden for any reason `find_hidden_text`
    knows; True when some can, or when this pass cannot tell (the trace then decides). With
    `chars` (the page's characters), it gives up on spans shorter than `_SPAN_CHARS` on
    average, where it would cost more than the trace."""
    if page.rotation:  # the trace turns the page upright first: leave rotated pages to it
        return True
    screen = _Screen(chars // _SPAN_CHARS if chars else sys.maxsize)
    try:
        mupdf.fz_run_page(page.this, screen, mupdf.FzMatrix(), screen.cookie)
        mupdf.fz_close_device(screen)
    except (RuntimeError, ValueError, TypeError, AttributeError, mupdf.FzErrorBase):
        return True  # a page this pass cannot walk: the trace says what it can
    if screen.may_hide or not screen.spans:
        return screen.may_hide
    crop = (page.cropbox.width, page.cropbox.height)
    spans = np.array(screen.spans, dtype=np.float64)
    return _off_page(spans, crop) or _covered(spans, screen.fills) or _same_colour(screen)


def _off_page(spans: np.ndarray, crop: tuple[float, float]) -> bool:
    """Some span's first or last character starts within a character's size of the page's
    edge, or outside it (a glyph of no width adds no box to its span: its origin may lie a
    little off the span's box)."""
    xs, ys, room = spans[:, [1, 3]], spans[:, [2, 4]], spans[:, [5]] + _EPSILON
    inside = (xs > room) & (xs < crop[0] - room) & (ys > room) & (ys < crop[1] - room)
    return not bool(np.all(inside))


def _covered(spans: np.ndarray, fills: list[tuple[float, ...]]) -> bool:
    """Some area filled after a span holds both ends of it, within the trace's slack and a
    character's size."""
    for order, x0, y0, x1, y1 in fills:
        earlier = spans[spans[:, 0] < order]
        if not len(earlier):
            continue
        xs, ys, room = earlier[:, [1, 3]], earlier[:, [2, 4]], earlier[:, [5]] + SLACK + _EPSILON
        held = (xs >= x0 - room) & (xs <= x1 + room) & (ys >= y0 - room) & (ys <= y1 + room)
        if bool(np.any(np.all(held, axis=1))):
            return True
    return False


def _same_colour(screen: _Screen) -> bool:
    """Some filled span's colour is near white or near a path filled before it."""
    texts = np.array(screen.text_colours, dtype=np.float64).reshape(-1, 4)
    near_white = np.max(np.abs(texts[:, 1:] - np.array(_WHITE)), axis=1) <= _NEAR_COLOUR
    if bool(np.any(near_white)):
        return True
    for order, *colour in screen.fill_colours:
        later = texts[texts[:, 0] > order]
        if len(later) and bool(
            np.any(np.max(np.abs(later[:, 1:] - colour), axis=1) <= _NEAR_COLOUR)
        ):
            return True
    return False
