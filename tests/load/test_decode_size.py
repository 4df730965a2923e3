"""Images decoded at the size sent: the same size as before, upright, JPEGs drawn at a DCT scale,
PNG layouts read without decoding, and no full-size pixels in the run's own process."""

import asyncio
import struct
import zlib
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from PIL import Image
from render_checks import decode_jpeg, open_layout, plan_pages

from extractors.load.identify import identify
from extractors.load.image_frames import frame_at_size
from extractors.load.rasteriser import Rasteriser
from extractors.load.reader import DocumentReader
from extractors.options import RasterOptions, RenderOptions
from extractors.records import PlannedPage, RenderedImage

pillow_heif.register_heif_opener()

_ORIENTATION = 0x0112
# A page 3:4, its top-left quarter black: where that quarter lands tells which way up it is.
_UPRIGHT = (600, 800)


def _marked_page(mode: str = "RGB") -> Image.Image:
    shade = np.linspace(160, 255, _UPRIGHT[0], dtype=np.float64)
    pixels = np.repeat(shade[None, :], _UPRIGHT[1], axis=0).astype(np.uint8)
    pixels[: _UPRIGHT[1] // 2, : _UPRIGHT[0] // 2] = 0
    return Image.fromarray(pixels, mode="L").convert(mode)


def _exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[_ORIENTATION] = orientation
    return exif


# The turn that undoes each EXIF orientation, applied to the upright page to store it.
_STORED = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def _stored_page(orientation: int, scale: int = 1) -> Image.Image:
    page = _marked_page().resize((_UPRIGHT[0] * scale, _UPRIGHT[1] * scale))
    turn = _STORED[orientation]
    return page if turn is None else page.transpose(turn)


def _save(path: Path, image: Image.Image, **params: object) -> Path:
    image.save(path, **params)
    return path


def _input(folder: Path, name: str) -> Path:
    """One file of a format and pixel kind a run meets, 1500 x 2000 (larger than sent)."""
    page = _marked_page().resize((1500, 2000))
    gray = page.convert("L")
    path = folder / name
    savers = {
        "photo.jpg": lambda: page.save(path, quality=90),
        "gray.jpg": lambda: gray.save(path, quality=90),
        "rgb.png": lambda: page.save(path),
        "gray.png": lambda: gray.save(path),
        "bilevel.png": lambda: gray.convert("1").save(path),
        "palette.png": lambda: page.convert("P").save(path),
        "alpha.png": lambda: page.convert("RGBA").save(path),
        "lzw.tif": lambda: page.save(path, compression="tiff_lzw"),
        "fax.tif": lambda: gray.convert("1").save(path, compression="group4"),
        "cmyk.tif": lambda: page.convert("CMYK").save(path),
        "photo.heic": lambda: page.save(path, quality=50),
    }
    savers[name]()
    return path


_KINDS = (
    "photo.jpg",
    "gray.jpg",
    "rgb.png",
    "gray.png",
    "bilevel.png",
    "palette.png",
    "alpha.png",
    "lzw.tif",
    "fax.tif",
    "cmyk.tif",
    "photo.heic",
)


def _sent(path: Path, page: PlannedPage) -> Image.Image:
    """The image a run sends for this page, decoded back."""
    return decode_jpeg(DocumentReader(identify(path), RenderOptions(), None).render(page, False))


def _frames(path: Path, size: tuple[int, int]) -> tuple[Image.Image, Image.Image]:
    """The frame reduced as a run reads it now, and decoded whole as it was read before."""
    with Image.open(path) as image:
        reduced = frame_at_size(image, size)
    with Image.open(path) as image:
        whole = frame_at_size(image, size, reduced=False)
    return reduced, whole


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)).mean())


@pytest.mark.parametrize("name", _KINDS)
def test_every_format_is_sent_at_the_size_it_was_sent_at_before(tmp_path: Path, name: str) -> None:
    path = _input(tmp_path, name)
    layout = open_layout(path)[1]
    assert layout.page_sizes == ((1500, 2000),)
    page = plan_pages(layout, budget=2_000)[0]
    assert (page.width, page.height) < (1500, 2000)
    reduced, whole = _frames(path, (page.width, page.height))
    assert reduced.size == whole.size == (page.width, page.height)
    assert reduced.mode == whole.mode == "RGB"
    assert _mean_difference(reduced, whole) < 3.0  # the same picture
    assert _sent(path, page).size == (page.width, page.height)


@pytest.mark.parametrize("name", ["rgb.png", "gray.png", "bilevel.png", "lzw.tif", "fax.tif"])
def test_scans_resized_before_conversion_keep_every_pixel(tmp_path: Path, name: str) -> None:
    reduced, whole = _frames(_input(tmp_path, name), (700, 933))
    assert np.array_equal(np.asarray(reduced), np.asarray(whole))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_turned_jpeg_is_sent_upright(tmp_path: Path, orientation: int) -> None:
    path = _save(
        tmp_path / "turned.jpg", _stored_page(orientation, 4), quality=92, exif=_exif(orientation)
    )
    assert open_layout(path)[1].page_sizes == ((2400, 3200),)
    reduced, whole = _frames(path, (300, 400))  # drawn at 1/8
    assert reduced.size == (300, 400)
    quarters = np.asarray(reduced.convert("L"), dtype=np.float64)
    top_left, top_right = quarters[:200, :150].mean(), quarters[:200, 150:].mean()
    bottom_left = quarters[200:, :150].mean()
    assert top_left < 40 < 150 < min(top_right, bottom_left)
    assert _mean_difference(reduced, whole) < 3.0


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(tmp_path: Path) -> None:
    path = _save(tmp_path / "big.jpg", _stored_page(1, 5), quality=90)  # 3000 x 4000
    with Image.open(path) as image:
        frame_at_size(image, (700, 933))
        assert image.size == (750, 1000)  # decoded at 1/4: the smallest scale still >= the size
    with Image.open(path) as image:
        frame_at_size(image, (700, 933), reduced=False)
        assert image.size == (3000, 4000)


def test_a_stereo_pair_from_a_phone_is_decoded_at_a_reduced_scale(tmp_path: Path) -> None:
    page = _stored_page(1, 5)
    path = tmp_path / "pair.mpo"
    page.save(path, "MPO", save_all=True, append_images=[page], quality=90)
    with Image.open(path) as image:
        assert image.format == "MPO"
        frame = frame_at_size(image, (375, 500))
        assert image.size == (375, 500)  # at 1/8
    assert frame.size == (375, 500)


def _png_with_late_exif(path: Path, orientation: int) -> Path:
    """A PNG whose eXIf chunk follows its pixels (allowed, and read by Pillow only on load)."""
    body = bytearray(_save(path, _stored_page(orientation)).read_bytes())
    exif = _exif(orientation).tobytes()
    chunk = struct.pack(">I", len(exif)) + b"eXIf" + exif
    chunk += struct.pack(">I", zlib.crc32(b"eXIf" + exif))
    end = body.rindex(b"IEND") - 4
    path.write_bytes(bytes(body[:end]) + chunk + bytes(body[end:]))
    return path


def test_a_png_layout_decodes_no_pixels(tmp_path: Path) -> None:
    path = _save(tmp_path / "scan.png", _marked_page().resize((2550, 3300)))
    made = Image.core.get_stats()["new_count"]
    assert open_layout(path)[1].page_sizes == ((2550, 3300),)
    assert Image.core.get_stats()["new_count"] == made


def test_a_png_orientation_after_its_pixels_is_still_read(tmp_path: Path) -> None:
    path = _png_with_late_exif(tmp_path / "late.png", 6)
    layout = open_layout(path)[1]
    assert layout.page_sizes == (_UPRIGHT,)
    assert _sent(path, plan_pages(layout)[0]).size == _UPRIGHT
    with Image.open(path) as image:
        gray = np.asarray(frame_at_size(image, _UPRIGHT).convert("L"), dtype=np.float64)
    assert gray[:400, :300].mean() < 40 < 150 < gray[:400, 300:].mean()


def test_the_runs_own_process_decodes_no_image(tmp_path: Path) -> None:
    path = _save(tmp_path / "scan.png", _marked_page().resize((2550, 3300)))
    source = identify(path)

    async def drawn() -> RenderedImage:
        rasteriser = Rasteriser(RasterOptions(workers=1))
        try:
            layout = await rasteriser.layout(source)
            pages = await rasteriser.render(source, plan_pages(layout, budget=2_000), False)
        finally:
            rasteriser.close()
        assert isinstance(pages[0], RenderedImage)
        return pages[0]

    made = Image.core.get_stats()["new_count"]
    page = asyncio.run(drawn())
    assert Image.core.get_stats()["new_count"] == made  # every pixel was in the worker
    assert decode_jpeg(page).size == (page.width, page.height)
    assert page.width < 2550
