"""`--crop-margins` on image frames (EXIF-oriented photos included) and on citation boxes."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from render_checks import decode_jpeg, gray_levels, open_layout, plan_pages

from extractors.answer.citation_words import ocr_words
from extractors.load.content_box import turned_box
from extractors.options import RenderOptions
from extractors.records import Box, OcrLine, OcrPage, RenderedImage

CROP = RenderOptions(crop_margins=True)
# Where the ink is on the upright page, as shares: its top left quarter, off the edges.
INK = (0.15, 0.1, 0.45, 0.4)
# EXIF orientation -> the turn that stands the stored pixels upright, inverted: stores them.
_STORE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def _upright_page() -> Image.Image:
    page = np.full((1100, 850), 255, dtype=np.uint8)
    x0, y0, x1, y1 = INK
    page[int(y0 * 1100) : int(y1 * 1100), int(x0 * 850) : int(x1 * 850)] = 0
    return Image.fromarray(page, mode="L").convert("RGB")


@pytest.mark.parametrize("orientation", [1, *_STORE])
@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_an_oriented_photo_is_cropped_around_its_ink(
    tmp_path: Path, orientation: int, suffix: str
) -> None:
    upright = _upright_page()
    stored = upright.transpose(_STORE[orientation]) if orientation in _STORE else upright
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"photo{suffix}"
    stored.save(path, exif=exif.tobytes())
    reader, layout = open_layout(path, None, CROP)
    (box,) = layout.content_boxes
    assert box is not None
    assert box.x0 < INK[0] < INK[2] < box.x1 < INK[2] + 0.06
    assert box.y0 < INK[1] < INK[3] < box.y1 < INK[3] + 0.06
    (page,) = plan_pages(layout)
    drawn = decode_jpeg(reader.render(page, False))
    reader.close()
    # The drawing is the ink with a thin border: dark on most rows, its margins white.
    levels = gray_levels(drawn)
    assert (levels.min(axis=1) < 128).mean() > 0.8 and (levels.min(axis=0) < 128).mean() > 0.8
    assert levels[:, :3].min() > 200 and levels[:3, :].min() > 200


def test_citation_boxes_map_back_through_the_crop() -> None:
    crop = Box(0.2, 0.1, 0.7, 0.6)
    image = RenderedImage(1, 500, 500, "image/jpeg", b"", crop=crop)
    line = OcrLine("TOTAL", 0.99, Box(0, 250, 500, 500))  # the image's lower half
    (words,) = ocr_words([OcrPage(1, (line,), 1)], [image])
    (word,) = words.words
    assert word.box == Box(0.2, 0.35, 0.7, 0.6)


def test_a_crop_turns_with_the_page() -> None:
    crop = Box(0.1, 0.2, 0.3, 0.5)
    assert turned_box(crop, 0) == crop and turned_box(crop, None) == crop
    assert turned_box(crop, 90) == Box(0.5, 0.1, 0.8, 0.3)
    half = turned_box(crop, 180)
    assert (half.x0, half.y0, half.x1, half.y1) == pytest.approx((0.7, 0.5, 0.9, 0.8))
    back = turned_box(turned_box(crop, 90), 270)
    assert (back.x0, back.y0, back.x1, back.y1) == pytest.approx((0.1, 0.2, 0.3, 0.5))
