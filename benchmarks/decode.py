"""Decoding photos and scans at the size sent: ms per image, reduced against whole.

For each format, one generated image as a phone or a scanner makes it, read as a run reads it
(`frame_at_size`: opened, decoded, turned upright by its EXIF orientation, 8-bit RGB at the
size the Pixtral budget plans for it). Reduced (the pipeline): a JPEG decoded at a DCT scale
(Pillow's draft) and every frame resized before it is turned and converted; against whole: the
same image decoded at full size, turned, converted, then resized. Both in this process, taken
in turns, each `REPEATS` times; the median of each.

    .venv/bin/python benchmarks/decode.py
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import Measurement, print_measurements, text_pdf

# isort: split

import numpy as np
import pillow_heif
import pymupdf
from PIL import Image

from extractors.load.image_frames import frame_at_size
from extractors.options import BudgetOptions
from extractors.plan.profiles.pixtral import PixtralProfile
from extractors.plan.sizing import size_page

pillow_heif.register_heif_opener()

REPEATS = 7
PROFILE = PixtralProfile()
BUDGET = BudgetOptions()
SCAN_DPI = 300  # a letter page from a document scanner: 2550 x 3300
PHONE_SIDES = (3024, 4032)  # a 12 Mpx phone photo, held upright
_EXIF_ORIENTATION = 0x0112


def page_pixels(dpi: int, seed: int) -> Image.Image:
    """A letter page of dense text (benchmarks/common.py's) drawn at `dpi`, as gray."""
    with tempfile.TemporaryDirectory() as scratch:
        pdf = text_pdf(Path(scratch) / "page.pdf", 1, seed=seed)
        with pymupdf.open(str(pdf)) as document:
            pixmap = document[0].get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
            return Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples)


def _noisy(image: Image.Image, sigma: float, seed: int) -> Image.Image:
    """The image with sensor noise: what makes real scans and photos costly to decode."""
    pixels = np.asarray(image, dtype=np.int16)
    noise = np.random.default_rng(seed).normal(0, sigma, pixels.shape).astype(np.int16)
    return Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8), mode=image.mode)


def scan(seed: int, mode: str = "RGB") -> Image.Image:
    """A letter page as a scanner saves it: 300 DPI, faint noise, RGB unless asked for gray."""
    page = page_pixels(SCAN_DPI, seed)
    return _noisy(page.convert(mode), 2.0, seed)


def phone_photo(seed: int) -> Image.Image:
    """A page photographed upright on a shaded desk, stored landscape (EXIF orientation 6)."""
    width, height = PHONE_SIDES
    shade = np.linspace(90, 170, height, dtype=np.float32)[:, None].repeat(width, axis=1)
    desk = Image.fromarray(np.stack([shade, shade * 0.95, shade * 0.85], axis=2).astype(np.uint8))
    page = page_pixels(330, seed).convert("RGB")
    desk.paste(page, ((width - page.width) // 2, (height - page.height) // 2))
    # The sensor's rows run along the phone's long side: stored turned a quarter to the left.
    return _noisy(desk, 4.0, seed).transpose(Image.Transpose.ROTATE_90)


def save_phone_jpeg(path: Path, seed: int) -> Path:
    phone_photo(seed).save(path, "JPEG", quality=90, exif=_exif())
    return path


def save_scan_png(path: Path, seed: int, mode: str = "RGB") -> Path:
    scan(seed, mode).save(path, "PNG")
    return path


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[_EXIF_ORIENTATION] = 6  # turn a quarter clockwise to stand upright
    return exif


def inputs(folder: Path) -> dict[str, Path]:
    """One image per format, as each is met in the wild."""
    photo = phone_photo(1)
    files = {
        "JPEG phone photo 12 Mpx": save_phone_jpeg(folder / "photo.jpg", 1),
        "PNG RGB scan 300 DPI": save_scan_png(folder / "scan_rgb.png", 2),
        "PNG gray scan 300 DPI": save_scan_png(folder / "scan_gray.png", 3, "L"),
        "TIFF LZW RGB scan 300 DPI": folder / "scan_lzw.tif",
        "TIFF G4 bilevel scan 300 DPI": folder / "scan_g4.tif",
        "HEIC phone photo 12 Mpx": folder / "photo.heic",
    }
    scan(4).save(files["TIFF LZW RGB scan 300 DPI"], "TIFF", compression="tiff_lzw")
    bilevel = page_pixels(SCAN_DPI, 5).point(lambda v: 255 if v > 128 else 0).convert("1")
    bilevel.save(files["TIFF G4 bilevel scan 300 DPI"], "TIFF", compression="group4")
    photo.save(files["HEIC phone photo 12 Mpx"], "HEIF", quality=80, exif=_exif())
    return files


def planned_size(path: Path) -> tuple[int, int]:
    """The size a run sends this image at (its upright size, fitted to the Pixtral budget)."""
    with Image.open(path) as image:
        width, height = image.size
        if image.getexif().get(_EXIF_ORIENTATION, 1) in (5, 6, 7, 8):
            width, height = height, width
    planned = size_page(1, width, height, PROFILE, BUDGET.image_budget)
    return planned.width, planned.height


def read_once(path: Path, size: tuple[int, int], reduced: bool) -> tuple[int, int]:
    with Image.open(path) as image:
        return frame_at_size(image, size, reduced).size


def median_ms(path: Path, size: tuple[int, int]) -> tuple[float, float]:
    """Median ms of (reduced, whole), taken in turns so that both see the same machine load."""
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(REPEATS):
        for reduced in (True, False):
            started = time.perf_counter()
            read_once(path, size, reduced)
            times[reduced].append((time.perf_counter() - started) * 1000)
    return statistics.median(times[True]), statistics.median(times[False])


def measure(folder: Path) -> list[Measurement]:
    lines = []
    for name, path in inputs(folder).items():
        size = planned_size(path)
        with Image.open(path) as image:
            stored = f"{image.width}x{image.height} {image.mode}"
        assert read_once(path, size, True) == read_once(path, size, False) == size
        reduced, whole = median_ms(path, size)
        lines.append(
            Measurement(
                "decode",
                f"{name}: ms per image reduced / whole",
                reduced,
                whole,
                "< 1.0",
                reduced < whole,
                f"{stored} -> {size[0]}x{size[1]}; {reduced:.0f} ms against {whole:.0f} ms, "
                f"median of {REPEATS}; {path.stat().st_size / 1e6:.1f} MB",
            )
        )
    return lines


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        print_measurements(measure(Path(scratch)))


if __name__ == "__main__":
    sys.exit(main())
