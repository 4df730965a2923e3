"""Image frames decoded at the size sent: JPEGs drawn at a reduced scale (Pillow's draft mode),
every frame resized before it is turned upright and made RGB, so no full-size copy is made;
a PNG's orientation read from its chunk headers without decoding its pixels."""

import io
import math
import struct
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from PIL.JpegImagePlugin import JpegImageFile
from PIL.PngImagePlugin import PngImageFile

from extractors.records import Box

# What transparent pixels become: the paper of a page.
_WHITE = (255, 255, 255)

_ROTATING_ORIENTATIONS = {5, 6, 7, 8}

# Pillow's `reducing_gap`: a downscale by at least twice this is first box-averaged by the
# whole factor `scale // gap`, then Lanczos-resampled for the rest. 1.5, not 3.0: a 300-DPI
# letter scan sent at 791x1024 (scale 3.2) is halved first, its resize half as long (45 ms,
# not 91), its pixels under a level apart, and the embedded engine reads what is sent as well
# (benchmarks/resize.py, 2026-12-07: CER the same or lower on 8 letter scans at 300 and 600
# DPI and the 2 Tesseract scans on a letter page; word F1 on the 120 SROIE receipts enlarged
# to 3,300 px 0.8824 against 0.8820). 2.0 would change nothing below a scale of 4.
RESIZE_REDUCING_GAP = 1.5


def _orientation(image: Image.Image) -> int:
    try:
        return int(_exif(image).get(0x0112, 1))
    except (ValueError, TypeError, OSError):
        return 1


# PNG chunks that may carry the orientation (eXIf, or EXIF or XMP in text) after the pixels.
_PNG_METADATA = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt"})


def _exif(image: Image.Image) -> Image.Exif:
    """The image's EXIF, without decoding a PNG's pixels to look for it."""
    if isinstance(image, PngImageFile) and not _png_metadata_after_pixels(image.filename):
        # All its metadata was read when it was opened; PngImageFile.getexif would decode
        # every pixel first, in case an eXIf chunk followed them (a 300-DPI scan: ~0.2 s,
        # paid by the layout that only wants the page's size).
        return Image.Image.getexif(image)
    return image.getexif()


def _png_metadata_after_pixels(path: str | bytes) -> bool:
    """Whether a PNG has a metadata chunk after its first IDAT (or cannot be walked): its chunk
    headers are read and their data skipped, so nothing is inflated."""
    if not isinstance(path, str) or not path:
        return True
    with Path(path).open("rb") as handle:
        handle.seek(8)  # the signature
        pixels = False
        while len(header := handle.read(8)) == 8:
            length, kind = struct.unpack(">I4s", header)
            if kind == b"IEND":
                return False
            pixels = pixels or kind == b"IDAT"
            if pixels and kind in _PNG_METADATA:
                return True
            handle.seek(length + 4, io.SEEK_CUR)  # the data and its CRC
    return True  # truncated: Pillow's own reading decides


def oriented_size(image: Image.Image) -> tuple[int, int]:
    """Size after EXIF orientation is applied (5-8 swap the sides)."""
    if _orientation(image) in _ROTATING_ORIENTATIONS:
        return image.height, image.width
    return image.width, image.height


# EXIF orientation -> the turn that stands the stored pixels upright (as ImageOps.exif_transpose).
_TRANSPOSES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def frame_at_size(
    image: Image.Image,
    size: tuple[int, int],
    reduced: bool = True,
    crop: Box | None = None,
    reducing_gap: float = RESIZE_REDUCING_GAP,
) -> Image.Image:
    """The open image's current frame as 8-bit RGB, upright by its EXIF orientation, at `size`;
    with `crop` (shares of the upright frame), only that part of it, cropped before resizing.

    Reduced: a JPEG (or MPO) is decoded at the smallest DCT scale (1/2, 1/4, 1/8) still at least
    `size` (Pillow's draft), and every frame is resized before it is turned and made RGB, so the
    full-size pixels are decoded once and never copied (a gray scan stays one channel until it
    is small). `reduced=False` decodes whole, turns, converts, then resizes: the baseline of
    benchmarks/decode.py. `reducing_gap`: see RESIZE_REDUCING_GAP (other values are for
    benchmarks/resize.py).
    """
    if not reduced:
        image.load()
        upright = _to_rgb(ImageOps.exif_transpose(image))
        part = None if crop is None else _pixel_box(crop, (0, 0, *upright.size))
        return _resized(upright, size, part, reducing_gap)
    orientation = _orientation(image)
    stored = (size[1], size[0]) if orientation in _ROTATING_ORIENTATIONS else size
    stored_crop = None if crop is None else _stored_box(crop, orientation)
    box: tuple[float, float, float, float] | None = None
    if isinstance(image, JpegImageFile):
        drafted = image.draft("RGB", _whole_size(stored, stored_crop))
        box = None if drafted is None else drafted[1]  # the drafted pixels that hold the image
    image.load()
    if stored_crop is not None:
        box = _pixel_box(stored_crop, box or (0, 0, *image.size))
    frame = _resized(_eight_bit(image), stored, box, reducing_gap)
    turn = _TRANSPOSES.get(orientation)
    if turn is not None:
        frame = frame.transpose(turn)
    if frame.mode != "RGB":
        return frame.convert("RGB")
    return image.copy() if frame is image else frame  # the file's own pixels close with it


def _whole_size(size: tuple[int, int], crop: Box | None) -> tuple[int, int]:
    """The whole frame's size at which its `crop` part is `size`: what a draft must reach."""
    if crop is None:
        return size
    return (
        math.ceil(size[0] / max(crop.x1 - crop.x0, 1e-6)),
        math.ceil(size[1] / max(crop.y1 - crop.y0, 1e-6)),
    )


def _pixel_box(
    crop: Box, frame: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """The pixels (of `frame`, a box of the decoded pixels) that a crop's shares hold."""
    x0, y0, x1, y1 = frame
    width, height = x1 - x0, y1 - y0
    return (
        x0 + crop.x0 * width,
        y0 + crop.y0 * height,
        x0 + crop.x1 * width,
        y0 + crop.y1 * height,
    )


# EXIF orientation -> where an upright frame's point (x, y), in shares, is in the stored pixels.
_STORED_POINT = {
    2: lambda x, y: (1 - x, y),
    3: lambda x, y: (1 - x, 1 - y),
    4: lambda x, y: (x, 1 - y),
    5: lambda x, y: (y, x),
    6: lambda x, y: (y, 1 - x),
    7: lambda x, y: (1 - y, 1 - x),
    8: lambda x, y: (1 - y, x),
}


def _stored_box(box: Box, orientation: int) -> Box:
    """A box on the upright frame (shares), as shares of the frame's stored pixels."""
    point = _STORED_POINT.get(orientation)
    if point is None:
        return box
    (ax, ay), (bx, by) = point(box.x0, box.y0), point(box.x1, box.y1)
    return Box(min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))


def reduced_gray(image: Image.Image, longest: int) -> Image.Image:
    """The open image's current frame, upright, in gray, with its longest side about
    `longest`: a JPEG decoded at a reduced DCT scale, other formats decoded and reduced."""
    orientation = _orientation(image)
    if isinstance(image, JpegImageFile):
        factor = max(image.width, image.height) / longest
        image.draft("L", (round(image.width / factor), round(image.height / factor)))
    image.load()
    gray = _eight_bit(image).convert("L")
    factor = max(1, max(gray.size) // longest)
    small = gray.reduce(factor) if factor > 1 else gray
    turn = _TRANSPOSES.get(orientation)
    return small if turn is None else small.transpose(turn)


def _resized(
    image: Image.Image,
    size: tuple[int, int],
    box: tuple[float, float, float, float] | None,
    reducing_gap: float,
) -> Image.Image:
    if image.size == size and box in (None, (0, 0, *size)):
        return image
    return image.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=reducing_gap)


def _to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB, a new image: see `_eight_bit`."""
    frame = _eight_bit(image)
    if frame.mode != "RGB":
        return frame.convert("RGB")
    return frame.copy() if frame is image else frame


def _eight_bit(image: Image.Image) -> Image.Image:
    """8-bit gray or RGB (the image itself when it is already): 16-bit samples scaled down,
    alpha flattened on white, bilevel to gray, palettes and CMYK converted to RGB."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.uint32)
        peak = 65535 if image.mode.startswith("I;16") or array.max() > 255 else 255
        gray = (array * 255 // max(peak, 1)).astype(np.uint8)
        transparent = image.info.get("transparency")
        if isinstance(transparent, int):
            gray[array == transparent] = 255  # tRNS: this gray value is transparent
        return Image.fromarray(gray, mode="L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*_WHITE, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in ("RGB", "L"):
        return image
    # Bilevel to gray: resized in one channel, it is the same as RGB resized (0 or 255 each).
    return image.convert("L" if image.mode == "1" else "RGB")
