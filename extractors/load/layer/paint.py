"""What a PDF page paints, in painting order: what lies under a span of text, and what over it."""

import numpy as np
import pymupdf

# Painted areas that can hide text or be its background (strokes are lines, text is text).
_FILLS = ("fill-path", "fill-image", "fill-shade", "fill-imgmask")
# A painted area holds a span when it reaches this close around it (points).
SLACK = 1.0
_OPAQUE = 0.99
_WHITE = (1.0, 1.0, 1.0)


class Paints:
    """The page's filled areas from `get_bboxlog()`, whose index is the trace's `seqno`."""

    def __init__(self, page: pymupdf.Page, images: list[dict]) -> None:
        self._page = page
        self._images = [tuple(info["bbox"]) for info in images if not info["has-mask"]]
        log = [(index, kind, rect) for index, (kind, rect) in enumerate(page.get_bboxlog())]
        fills = [entry for entry in log if entry[1] in _FILLS]
        self._kinds = [kind for _, kind, _ in fills]
        self._rects = [pymupdf.Rect(rect) for _, _, rect in fills]
        self._order = np.array([index for index, _, _ in fills], dtype=np.int64)
        self._boxes = np.array([rect for _, _, rect in fills], dtype=np.float64).reshape(-1, 4)
        self._drawings: dict[int, dict] | None = None

    def cover(self, box: pymupdf.Rect, seqno: int) -> str | None:
        """The kind of the first opaque area painted over the whole of `box` after it."""
        if not len(self._order):
            return None
        later = np.flatnonzero((self._order > seqno) & self._holds(box))
        for place in later:
            kind = self._kinds[place]
            if kind == "fill-image" and self._opaque_image(self._rects[place]):
                return kind
            if kind == "fill-path" and self._opaque_rect(int(self._order[place])):
                return kind
        return None

    def background(self, box: pymupdf.Rect, seqno: int) -> tuple[float, ...] | None:
        """The colour under the middle of `box`: the last fill painted there before it (white
        for the bare page); None when that is an image or a shading, whose colour is unknown."""
        if not len(self._order):
            return _WHITE
        x, y = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
        middle = pymupdf.Rect(x, y, x, y)
        earlier = np.flatnonzero((self._order < seqno) & self._holds(middle))
        if not len(earlier):
            return _WHITE
        place = earlier[-1]
        if self._kinds[place] != "fill-path":
            return None
        drawing = self._drawing(int(self._order[place]))
        if drawing is None or drawing.get("fill") is None:
            return None
        if (drawing.get("fill_opacity") or 1.0) < _OPAQUE:
            return None
        return tuple(drawing["fill"])

    def _holds(self, box: pymupdf.Rect) -> np.ndarray:
        boxes = self._boxes
        return (
            (boxes[:, 0] <= box.x0 + SLACK)
            & (boxes[:, 1] <= box.y0 + SLACK)
            & (boxes[:, 2] >= box.x1 - SLACK)
            & (boxes[:, 3] >= box.y1 - SLACK)
        )

    def _opaque_image(self, rect: pymupdf.Rect) -> bool:
        """An image without a mask or soft mask (`get_image_info`), matched by where it is."""
        return any(
            max(abs(a - b) for a, b in zip(_corners(rect), image, strict=True)) < SLACK
            for image in self._images
        )

    def _opaque_rect(self, seqno: int) -> bool:
        """A filled rectangle at full opacity (a curved shape's box would say too much)."""
        drawing = self._drawing(seqno)
        if drawing is None or drawing.get("fill") is None:
            return False
        shapes = {item[0] for item in drawing["items"]}
        return shapes <= {"re", "qu"} and (drawing.get("fill_opacity") or 1.0) >= _OPAQUE

    def _drawing(self, seqno: int) -> dict | None:
        # Only a page with a filled path over or under its text pays for reading the paths.
        if self._drawings is None:
            self._drawings = {d["seqno"]: d for d in self._page.get_drawings()}
        return self._drawings.get(seqno)


def _corners(rect: pymupdf.Rect) -> tuple[float, float, float, float]:
    return rect.x0, rect.y0, rect.x1, rect.y1
