"""Whether a drawn page is blank: nothing on it but paper and the marks of handling it.

The back of a duplex scan is rarely white: grey or tinted paper, scanner speckle, the shadow
of a punched hole, the dark edge of the scanner's lid, a page number. Each mark that differs
from the paper is measured (its box and its pixels, the marks of a word or a number taken as
one), and the page is blank when every mark is noise of one of those kinds. Anything else (a
line of text, a signature, a stamp, a pencil note, a rule, a photo) is content. Conservative
by design: a mark it cannot explain makes the page content, so a blank page may be sent (its
tokens spent) but a page with something on it is never skipped. benchmarks/blank_pages.py
measures both on the shared corpus and on generated duplex backs.
"""

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

# A pixel is a mark when one of its channels is this far from the paper's, darker or lighter:
# scanner grain, JPEG noise and bleed-through of the other side (15-25 levels) stay under it;
# print, handwriting and any colour go over it, and so does a pencil-grey note 40 levels
# darker than the paper, drawn at 768-1,540 px (36 at 1,024; benchmarks/blank_pages.py).
# Per channel, so a yellow highlighter (dark only in blue) or white text on a black page is
# a mark too.
MARK_CONTRAST = 32
# Pages smaller than this (longest side, px) are not judged: too few pixels to tell a mark
# from noise, and too few tokens to be worth it.
_MIN_SIDE = 64
# Marks are grouped on a grid of this many cells along the longest side: marks in touching
# cells are one mark (at 1,024 px, cells of 8 px: the letters of a word, the digits of a
# number, the fragments of a faint stroke join; separate lines of text do not).
_GRID_CELLS = 128
# Past these, the page is content without a closer look (and without its cost): more of its
# pixels marked, or more cells, than the noise of a duplex back ever has.
_MAX_MARKED_SHARE = 0.03
_MAX_MARKED_CELLS = 1_500
# Cells are at most this many pixels across: Pillow's reduce, which counts them, rounds one
# marked pixel of a larger cell to 0. Larger pages get more cells.
_MAX_CELL = 16


@dataclass(frozen=True)
class BlankVerdict:
    """Whether a page is blank, with the measures it was judged on."""

    blank: bool
    # Share of the page's pixels that are marks (off the paper's colour by MARK_CONTRAST).
    ink_share: float
    # Separate marks found (0 when the page was judged without counting them).
    marks: int
    # Longest side, in pixels, of the largest mark that is not noise (0 when there is none).
    largest_mark: int
    # Why: the noise it saw on a blank page ("speckle, page number"), or the content that
    # makes it a page ("mark 212x31 px at 300,412").
    reason: str


@dataclass(frozen=True)
class _Mark:
    """A group of marked pixels: its box (x1, y1 exclusive), and which pixels of the box."""

    x0: int
    y0: int
    x1: int
    y1: int
    on: np.ndarray = field(compare=False, repr=False)

    @property
    def pixels(self) -> int:
        return int(np.count_nonzero(self.on))

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def describe(self) -> str:
        return f"mark {self.width}x{self.height} px at {self.x0},{self.y0}"


def judge_blank(image: Image.Image) -> BlankVerdict:
    """Whether the page (RGB or gray, as drawn at the size sent) is blank, and why."""
    if max(image.size) < _MIN_SIDE:
        return BlankVerdict(False, 0.0, 0, max(image.size), "too small to judge")
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    marked = _marked(image)
    share = round(marked.histogram()[255] / (image.width * image.height), 5)
    if share > _MAX_MARKED_SHARE:
        return BlankVerdict(False, share, 0, max(image.size), f"marks cover {share:.1%}")
    cell = min(-(-max(image.size) // _GRID_CELLS), _MAX_CELL)
    cells = np.asarray(marked.reduce(cell)) > 0
    if np.count_nonzero(cells) > _MAX_MARKED_CELLS:
        return BlankVerdict(False, share, 0, max(image.size), "marks all over the page")
    marks = list(_marks(np.asarray(marked) > 0, cells, cell))
    return _verdict(marks, image.size, share)


def _marked(image: Image.Image) -> Image.Image:
    """A gray mask, 255 where a pixel is off the paper's colour by MARK_CONTRAST in any
    channel, else 0 (in C, through Pillow: ~1 ms a page where numpy takes 4)."""
    lut: list[int] = []
    for paper in _paper_colour(image):
        lut += [0 if abs(level - paper) < MARK_CONTRAST else 255 for level in range(256)]
    off = image.point(lut)
    if off.mode == "RGB":
        off = off.convert("L")  # not 0 where any channel is 255 (blue alone weighs 29)
    return off.point([0] + [255] * 255)


def _paper_colour(image: Image.Image) -> tuple[int, ...]:
    """Each channel's most common level (smoothed over 5 levels, as grain spreads it): the
    paper's, whatever its tint, on any page that is mostly paper. Counted on a copy reduced
    4 times each way (0.1 ms where the page takes 0.9; the mode stays where it is)."""
    sample = image.reduce(4) if min(image.size) >= _MIN_SIDE else image
    counts = np.asarray(sample.histogram(), dtype=np.int64).reshape(-1, 256)
    window = np.ones(5, dtype=np.int64)
    return tuple(int(np.argmax(np.convolve(band, window, "same"))) for band in counts)


def _marks(mask: np.ndarray, cells: np.ndarray, cell: int) -> Iterator[_Mark]:
    """Each group of marked cells that touch (8-connected), measured in pixels."""
    left = {(int(r), int(c)) for r, c in np.argwhere(cells)}
    while left:
        group = _flood(left, left.pop())
        yield _measured(mask, group, cell)


_AROUND = tuple((dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1))


def _flood(left: set[tuple[int, int]], start: tuple[int, int]) -> list[tuple[int, int]]:
    """The cells joined to `start`, taken out of `left`."""
    group, todo = [start], deque([start])
    while todo:
        row, col = todo.popleft()
        for near in ((row + dr, col + dc) for dr, dc in _AROUND):
            if near in left:
                left.remove(near)
                group.append(near)
                todo.append(near)
    return group


def _measured(mask: np.ndarray, group: list[tuple[int, int]], cell: int) -> _Mark:
    """The pixel box and pixel count of the marks in a group of cells."""
    cells = np.array(group)
    (r0, c0), (r1, c1) = cells.min(axis=0), cells.max(axis=0) + 1
    pixels = mask[r0 * cell : r1 * cell, c0 * cell : c1 * cell]
    if len(group) < (r1 - r0) * (c1 - c0):  # other marks may have cells in its box
        chosen = np.zeros((r1 - r0, c1 - c0), dtype=bool)
        chosen[cells[:, 0] - r0, cells[:, 1] - c0] = True
        spread = np.repeat(np.repeat(chosen, cell, axis=0), cell, axis=1)
        pixels = pixels & spread[: pixels.shape[0], : pixels.shape[1]]
    return _cropped(pixels, int(c0) * cell, int(r0) * cell)


def _cropped(on: np.ndarray, left: int, top: int) -> _Mark:
    """The mark of the marked pixels `on`, an area whose top left is at (left, top)."""
    rows, cols = np.flatnonzero(on.any(axis=1)), np.flatnonzero(on.any(axis=0))
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return _Mark(left + x0, top + y0, left + x1, top + y1, on[y0:y1, x0:x1])


def _parts(mark: _Mark) -> list[_Mark]:
    """A mark's pixel-connected parts (8-connected): each pixel takes the least label of its
    neighbours until none changes (a few dozen rounds on a mark this small)."""
    on = mark.on
    unset = on.size
    labels = np.where(on, np.arange(on.size).reshape(on.shape), unset)
    while True:
        padded = np.pad(labels, 1, constant_values=unset)
        least = labels.copy()
        for dy in range(3):
            for dx in range(3):
                np.minimum(least, padded[dy : dy + on.shape[0], dx : dx + on.shape[1]], out=least)
        least[~on] = unset
        if np.array_equal(least, labels):
            break
        labels = least
    return [_cropped(labels == value, mark.x0, mark.y0) for value in np.unique(labels[on])]


# Sizes and places of noise, as shares of the page's sides (letter or A4 at 1,024 px: 1% of
# the longest side is ~2.8 mm, 10 px).
# Speckle: dust and grain, at most this share of the longest side (5 px: 1.4 mm) each way;
# or specks close enough to be grouped: at most this share across (20 px: 5.6 mm) with no more
# pixels than a 4 x 4 px dot, 12 at least (a pencil tick or a letter has more).
_SPECKLE = 0.005
_SPECKS_ACROSS = 0.02
_SPECKS_PIXELS = 0.004
_MIN_SPECKS_PIXELS = 12
# The scanner's edge: a mark entirely within this share of the shortest side of a border.
_EDGE_BAND = 0.02
# A punched hole (ISO 838: 6 mm, centre 12 mm in; US: 1/4 in, centre 3/8-1/2 in): round
# (sides within 1.5 of each other), solid (half its box or more), 1.5-5% of the shortest
# side across, its centre within 10% of the shortest side from a border.
_HOLE_SIZE = (0.015, 0.05)
_HOLE_ASPECT = 1.5
_HOLE_FILL = 0.5
_HOLE_MARGIN = 0.10
# A page number (or a Bates number): at most 2% of the longest side high (5.6 mm) and 7% wide
# (20 mm: "Page 12 of 34" at 9 pt), within 8% of the page's height from its top or bottom;
# at most 3 of them ("- 3 -" can be three).
_NUMBER_HEIGHT = 0.02
_NUMBER_WIDTH = 0.07
_NUMBER_BAND = 0.08
_MAX_NUMBERS = 3
# A mark that is no noise as a whole, at most this share of the longest side across (60 px),
# is looked at piece by piece: it is noise when one piece is and the others are at most this
# many specks. Only on pages with at most this many such marks (a page of words has more).
_SPLIT_SIDE = 0.06
_MAX_SPECKS_BESIDE = 3
_MAX_SPLIT_MARKS = 3


def _verdict(marks: list[_Mark], size: tuple[int, int], share: float) -> BlankVerdict:
    """Blank when every mark is noise and there are few page-number-like ones."""
    kinds = [_noise(mark, size) for mark in marks]
    unexplained = [i for i, kind in enumerate(kinds) if kind is None]
    if len(unexplained) <= _MAX_SPLIT_MARKS:
        for i in unexplained:
            kinds[i] = _noise_beside_specks(marks[i], size)
    content = [mark for mark, kind in zip(marks, kinds, strict=True) if kind is None]
    if content:
        largest = max(content, key=lambda m: max(m.width, m.height))
        side = max(largest.width, largest.height)
        return BlankVerdict(False, share, len(marks), side, largest.describe())
    if kinds.count("page number") > _MAX_NUMBERS:
        return BlankVerdict(False, share, len(marks), 0, "too many page-number-like marks")
    seen = sorted({kind for kind in kinds if kind is not None})
    return BlankVerdict(True, share, len(marks), 0, ", ".join(seen) or "paper only")


def _noise_beside_specks(mark: _Mark, size: tuple[int, int]) -> str | None:
    """A small mark's kind of noise when it is one piece of noise grouped with a few specks
    near it (a hole with dust beside it), else None."""
    longest = max(size)
    if max(mark.width, mark.height) > _SPLIT_SIDE * longest:
        return None
    parts = _parts(mark)
    specks = [part for part in parts if _is_speckle(part, longest)]
    if len(parts) - len(specks) != 1 or len(specks) > _MAX_SPECKS_BESIDE:
        return None
    (piece,) = (part for part in parts if not _is_speckle(part, longest))
    return _noise(piece, size)


def _noise(mark: _Mark, size: tuple[int, int]) -> str | None:
    """What kind of noise a mark is, or None when it is content."""
    width, height = size
    if _is_speckle(mark, max(size)):
        return "speckle"
    band = max(1, _EDGE_BAND * min(size))
    if min(mark.x1, mark.y1) <= band or mark.x0 >= width - band or mark.y0 >= height - band:
        return "scanner edge"
    if _is_punched_hole(mark, size):
        return "punched hole"
    if _is_page_number(mark, size):
        return "page number"
    return None


def _is_speckle(mark: _Mark, longest: int) -> bool:
    across = max(mark.width, mark.height)
    if across <= max(2, _SPECKLE * longest):
        return True
    most = max(_MIN_SPECKS_PIXELS, (_SPECKS_PIXELS * longest) ** 2)
    return across <= _SPECKS_ACROSS * longest and mark.pixels <= most


def _is_punched_hole(mark: _Mark, size: tuple[int, int]) -> bool:
    short = min(size)
    low, high = _HOLE_SIZE[0] * short, _HOLE_SIZE[1] * short
    if not (low <= mark.width <= high and low <= mark.height <= high):
        return False
    if max(mark.width, mark.height) > _HOLE_ASPECT * min(mark.width, mark.height):
        return False
    if mark.pixels < _HOLE_FILL * mark.width * mark.height:
        return False
    centre_x, centre_y = (mark.x0 + mark.x1) / 2, (mark.y0 + mark.y1) / 2
    inset = min(centre_x, centre_y, size[0] - centre_x, size[1] - centre_y)
    return inset <= _HOLE_MARGIN * short


def _is_page_number(mark: _Mark, size: tuple[int, int]) -> bool:
    longest, height = max(size), size[1]
    if mark.height > _NUMBER_HEIGHT * longest or mark.width > _NUMBER_WIDTH * longest:
        return False
    band = _NUMBER_BAND * height
    return mark.y1 <= band or mark.y0 >= height - band
