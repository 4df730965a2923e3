"""Pages for the blank-page detector, drawn as a duplex scanner gives them (letter at 150 DPI,
JPEG), and read back as the pipeline draws them before it encodes them for the endpoint.

Duplex backs (`BACKS`) carry only the noise of paper and scanning: grain on white, grey or
cream paper, speckle, punched holes, a page number, the other side's text showing through
faintly (bleed-through, ~18 levels: a user calls such a page blank), the scanner's dark edge.
Content pages (`CONTENT`) are the noisiest back plus one small thing a user would want read.
"""

import io
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps
from render_checks import OPTIONS, plan_pages

from extractors.errors import SourceError
from extractors.load.identify import identify
from extractors.load.reader import DocumentReader
from extractors.records import RenderedImage, SourceFile

DPI = 150
LETTER = (1275, 1650)
MM = DPI / 25.4


@dataclass(frozen=True)
class Paper:
    """A sheet's colour and the scanner's grain on it (standard deviation, levels)."""

    name: str
    colour: tuple[int, int, int]
    grain: float


PAPERS = (
    Paper("white", (250, 250, 248), 2.5),
    Paper("grey", (212, 210, 204), 5.0),
    Paper("cream", (243, 234, 212), 3.5),
)


def _font(points: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(6, round(points / 72 * DPI)))


def _shade(paper: Paper, darker: int) -> tuple[int, int, int]:
    return tuple(max(0, c - darker) for c in paper.colour)  # type: ignore[return-value]


def sheet(paper: Paper, rng: random.Random, size: tuple[int, int] = LETTER) -> Image.Image:
    """Blank paper with the scanner's grain."""
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, paper.grain, (*size[::-1], 1))
    pixels = np.asarray(paper.colour, dtype=np.float64) + noise
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


# Noise of a duplex back. Each draws on the page in place.
def speckle(page: Image.Image, paper: Paper, rng: random.Random) -> None:
    """Dust and toner specks: 80 dots of 1-3 px (0.2-0.5 mm), dark grey to black."""
    draw = ImageDraw.Draw(page)
    for _ in range(80):
        x, y = rng.randrange(page.width), rng.randrange(page.height)
        r = rng.choice((0.5, 1, 1.5))
        level = rng.randrange(20, 140)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(level,) * 3)


def punched_holes(page: Image.Image, paper: Paper, rng: random.Random) -> None:
    """Three 1/4-inch holes 1/2 inch in from the left edge, shadowed dark grey."""
    draw = ImageDraw.Draw(page)
    radius, inset = 3.2 * MM, 12.7 * MM
    for centre_y in (page.height * 0.15, page.height * 0.5, page.height * 0.85):
        level = rng.randrange(40, 90)
        box = (inset - radius, centre_y - radius, inset + radius, centre_y + radius)
        draw.ellipse(box, fill=(level,) * 3)


def page_number(page: Image.Image, paper: Paper, rng: random.Random) -> None:
    """Page numbers: "Page 3 of 12" at 8 pt, centred 12 mm above the foot, "- 14 -" top right."""
    draw = ImageDraw.Draw(page)
    draw.text((page.width / 2, page.height - 12 * MM), "Page 3 of 12", (30,) * 3, _font(8), "mm")
    draw.text((page.width - 20 * MM, 10 * MM), "- 14 -", (30,) * 3, _font(10), "rm")


def bleed_through(page: Image.Image, paper: Paper, rng: random.Random) -> None:
    """The other side's text, mirrored and blurred, 18 levels darker than the paper at most."""
    other = Image.new("L", page.size, 0)
    draw = ImageDraw.Draw(other)
    words = ["invoice", "total", "amount", "payment", "balance", "due", "account", "order"]
    for line in range(40):
        text = " ".join(rng.choice(words) for _ in range(9))
        draw.text((25 * MM, 25 * MM + line * 5.5 * MM), text, 255, _font(11))
    other = ImageOps.mirror(other).filter(ImageFilter.GaussianBlur(1.5))
    shadow = np.asarray(other, dtype=np.float64)[..., None] / 255 * 18
    pixels = np.asarray(page, dtype=np.float64) - shadow
    page.paste(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB"))


def scanner_edge(page: Image.Image, paper: Paper, rng: random.Random) -> None:
    """The scanner's dark lid along the right edge: a 4 px (0.7 mm) strip, and a corner."""
    draw = ImageDraw.Draw(page)
    draw.rectangle((page.width - 4, 0, page.width, page.height), fill=(35,) * 3)
    draw.polygon([(0, 0), (12, 0), (0, 15)], fill=(35,) * 3)


Feature = Callable[[Image.Image, Paper, random.Random], None]
# Duplex backs a user calls blank, by what is on them.
BACKS: dict[str, tuple[Feature, ...]] = {
    "plain": (),
    "speckle": (speckle,),
    "punched holes": (punched_holes,),
    "page number": (page_number,),
    "bleed-through": (bleed_through,),
    "scanner edge": (scanner_edge,),
    "all of them": (speckle, punched_holes, page_number, bleed_through, scanner_edge),
}


# Content: one small thing on the noisiest back.
def short_line(page: Image.Image, paper: Paper, rng: random.Random) -> None:
    """One short printed line mid-page: "Received" at 10 pt."""
    ImageDraw.Draw(page).text((90 * MM, 120 * MM), "Received", (20,) * 3, _font(10))


def footer_line(page: Image.Image, paper: Paper, rng: random.Random) -> None:
    """A short printed line at the foot of the page, longer than a page number."""
    text = "Return this form by Friday"
    ImageDraw.Draw(page).text((60 * MM, page.height - 14 * MM), text, (20,) * 3, _font(9))


def signature(page: Image.Image, paper: Paper, rng: random.Random) -> None:
    """A signature-like stroke in blue ink: a loop-and-wave curve 50 x 12 mm."""
    points = []
    for step in range(200):
        t = step / 199
        x = 120 * MM + 50 * MM * t + 4 * MM * math.sin(t * 31)
        y = 200 * MM + 5 * MM * math.sin(t * 17) + 3 * MM * math.cos(t * 41)
        points.append((x, y))
    ImageDraw.Draw(page).line(points, fill=(25, 35, 120), width=3, joint="curve")


def stamp(page: Image.Image, paper: Paper, rng: random.Random) -> None:
    """A small red "PAID" stamp, 28 x 12 mm, in the upper right of the page."""
    draw = ImageDraw.Draw(page)
    box = (150 * MM, 40 * MM, 178 * MM, 52 * MM)
    draw.rectangle(box, outline=(190, 40, 45), width=3)
    draw.text((164 * MM, 46 * MM), "PAID", (190, 40, 45), _font(14), "mm")


def pencil_note(page: Image.Image, paper: Paper, rng: random.Random) -> None:
    """A faint pencil-grey note (48 levels darker than the paper) in the left margin."""
    font = _font(12)
    ImageDraw.Draw(page).text((30 * MM, 90 * MM), "call back Tue", _shade(paper, 48), font)


def photo(page: Image.Image, paper: Paper, rng: random.Random) -> None:
    """A small colour photo, 40 x 30 mm, mid-page (smooth random colours)."""
    rough = np.random.default_rng(rng.randrange(1 << 30)).integers(0, 256, (6, 8, 3))
    picture = Image.fromarray(rough.astype(np.uint8), "RGB")
    picture = picture.resize((round(40 * MM), round(30 * MM)), Image.Resampling.BICUBIC)
    page.paste(picture, (round(80 * MM), round(130 * MM)))


def table_rule(page: Image.Image, paper: Paper, rng: random.Random) -> None:
    """A single hairline rule across the page (1 px at 150 DPI: 0.17 mm)."""
    y = round(70 * MM)
    ImageDraw.Draw(page).line((25 * MM, y, page.width - 25 * MM, y), fill=(40,) * 3, width=1)


def highlight(page: Image.Image, paper: Paper, rng: random.Random) -> None:
    """A yellow highlighter stroke alone: light in gray, dark only in blue."""
    box = (50 * MM, 150 * MM, 110 * MM, 155 * MM)
    ImageDraw.Draw(page).rectangle(box, fill=(250, 240, 90))


CONTENT: dict[str, Feature] = {
    "short line": short_line,
    "footer line": footer_line,
    "signature": signature,
    "stamp": stamp,
    "pencil note": pencil_note,
    "photo": photo,
    "table rule": table_rule,
    "highlighter": highlight,
}


def duplex_back(paper: Paper, features: tuple[Feature, ...], seed: int) -> Image.Image:
    """A blank back with these kinds of noise on it."""
    rng = random.Random(seed)
    page = sheet(paper, rng)
    for feature in features:
        feature(page, paper, rng)
    return page


def content_page(paper: Paper, mark: Feature, seed: int) -> Image.Image:
    """The noisiest back, with one thing on it that is content."""
    page = duplex_back(paper, BACKS["all of them"], seed)
    mark(page, paper, random.Random(seed + 1))
    return page


def save_scan(page: Image.Image, path: Path) -> Path:
    """Saved as a scanner saves a page: a JPEG at quality 90, with its DPI."""
    page.save(path, "JPEG", quality=90, dpi=(DPI, DPI))
    return path


class _KeepingReader(DocumentReader):
    """The pipeline's reader, keeping each page as drawn before it is encoded for the wire."""

    def __init__(self, source: SourceFile, password: str | None) -> None:
        super().__init__(source, OPTIONS, password)
        self.drawn: list[Image.Image] = []

    def _encode(self, page_no: int, image: Image.Image, rotation: int | None) -> RenderedImage:
        self.drawn.append(image.copy())
        return super()._encode(page_no, image, rotation)


@dataclass(frozen=True)
class DrawnPage:
    """One page as the pipeline draws it: before it is encoded, and the JPEG sent."""

    number: int
    drawn: Image.Image
    sent: bytes

    def sent_image(self) -> Image.Image:
        return Image.open(io.BytesIO(self.sent)).convert("RGB")


def drawn_pages(path: Path, password: str | None = None) -> tuple[list[DrawnPage], list[str]]:
    """Every page of a file, sized for Pixtral and drawn by the pipeline's reader, and the
    errors of the pages (or the file) that cannot be drawn."""
    reader = _KeepingReader(identify(path), password)
    try:
        planned_pages = plan_pages(reader.layout())
        pages, errors = [], []
        for planned in planned_pages:
            try:
                rendered = reader.render(planned, False)
            except SourceError as exc:  # a damaged page: the pipeline makes it an error row
                errors.append(f"page {planned.page}: {exc}")
                continue
            pages.append(DrawnPage(planned.page, reader.drawn[-1], rendered.data))
        return pages, errors
    finally:
        reader.close()
