"""Reading and rasterising generated inputs: PDFs, SVG, raster images and pixel bombs."""

import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from render_checks import (
    LETTER_200_DPI,
    LETTER_PT,
    decode_jpeg,
    gray_levels,
    make_gray_pdf,
    open_layout,
    plan_pages,
    read_layout,
    render_pages,
    rendered_image,
)

from extractors.errors import SourceError
from extractors.load.identify import identify
from extractors.load.reader import DocumentReader
from extractors.options import RenderOptions
from extractors.plan.profiles.llava import CentreCropProfile
from extractors.plan.profiles.pixtral import PixtralProfile
from extractors.plan.profiles.qwen import QwenProfile
from extractors.plan.sizing import size_page
from extractors.records import PlannedPage


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bilevel_png_bomb(path: Path, side: int) -> Path:
    """A side x side 1-bit all-black PNG, written row by row: ~50 kB on disk for 20000 px."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + packed bits
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )
    return path


@pytest.fixture
def letter_pdf(tmp_path: Path) -> Path:
    return make_gray_pdf(tmp_path / "letter.pdf", [0.0, 1.0, 0.5])


# --- generated PDFs ---------------------------------------------------------------------------


def test_letter_pdf_layout_is_at_the_dpi_cap(letter_pdf: Path):
    reader, layout = open_layout(letter_pdf)
    reader.close()
    assert layout.page_count == 3
    assert layout.page_sizes == (LETTER_200_DPI,) * 3
    _, layout72 = open_layout(letter_pdf, options=RenderOptions(max_dpi=72))
    assert layout72.page_sizes == (LETTER_PT,) * 3


@pytest.mark.parametrize(
    ("profile", "budget"),
    [(PixtralProfile(), 100_000), (PixtralProfile(), 1_200), (QwenProfile(), 100_000)],
    ids=["pixtral", "pixtral-small-budget", "qwen"],
)
def test_letter_pdf_renders_at_the_planned_size(letter_pdf: Path, profile, budget):
    reader, layout = open_layout(letter_pdf)
    planned = size_page(1, *layout.page_sizes[0], profile, budget)
    if profile == PixtralProfile() and budget == 100_000:
        assert (planned.width, planned.height) == (791, 1024)
    result = rendered_image(render_pages(reader, [planned], False)[0])
    reader.close()
    assert result.page == 1
    assert abs(result.width - planned.width) <= 1
    assert abs(result.height - planned.height) <= 1
    assert result.mime == "image/jpeg"
    assert result.data.startswith(b"\xff\xd8")
    image = decode_jpeg(result)
    assert image.mode == "RGB"


def test_render_pages_keeps_the_requested_order_and_content(letter_pdf: Path):
    reader, layout = open_layout(letter_pdf)
    planned = plan_pages(layout)
    results = [
        rendered_image(r) for r in render_pages(reader, [planned[1], planned[0], planned[2]], False)
    ]
    reader.close()
    assert [r.page for r in results] == [2, 1, 3]
    means = [gray_levels(decode_jpeg(r)).mean() for r in results]
    assert means[0] > 250  # page 2 is white
    assert means[1] < 5  # page 1 is black
    assert 110 < means[2] < 145  # page 3 is mid gray


def test_reader_reopens_after_close(letter_pdf: Path):
    reader, layout = open_layout(letter_pdf)
    reader.close()
    reader.close()  # twice is harmless
    result = reader.render(plan_pages(layout)[1], False)
    reader.close()
    assert result.page == 2
    assert gray_levels(decode_jpeg(result)).mean() > 250


def test_jpeg_quality_option_changes_the_encoding(tmp_path: Path):
    image = Image.fromarray(
        np.random.default_rng(1).integers(0, 256, (300, 400, 3), dtype=np.uint8), "RGB"
    )
    path = tmp_path / "noise.png"
    image.save(path)
    sizes = []
    for quality in (30, 95):
        reader, layout = open_layout(path, options=RenderOptions(jpeg_quality=quality))
        sizes.append(len(reader.render(plan_pages(layout)[0], False).data))
    assert sizes[0] < sizes[1]


PAD_TO_SQUARE_BUG = (
    "BUG (budget.size_page + load.DocumentReader.render): for pad_to_square profiles "
    "(llava-1.5) size_page plans a SQUARE size (336x336 for a letter page), and render draws "
    "the page straight into that size with independent x/y scales, so the page is stretched "
    "to a square; the pad in render() never runs because the image is already square. The "
    "intended white padding (CentreCropProfile docstring) never happens: render should fit "
    "the page inside the planned box keeping its aspect, then pad."
)


def test_pad_to_square_pads_a_letter_pdf_page_with_white(tmp_path: Path):
    path = make_gray_pdf(tmp_path / "black.pdf", [0.0])
    reader, layout = open_layout(path)
    planned = size_page(1, *layout.page_sizes[0], CentreCropProfile(), 100_000)
    result = rendered_image(render_pages(reader, [planned], True)[0])
    reader.close()
    # the black page keeps its aspect (about 260 px wide): white bands left and right
    _assert_black_page_padded_white(result)


def test_pad_to_square_pads_a_non_square_render(tmp_path: Path):
    # What render() does when given a non-square size with pad_to_square.
    path = make_gray_pdf(tmp_path / "black.pdf", [0.0])
    reader, _ = open_layout(path)
    result = rendered_image(render_pages(reader, [PlannedPage(1, 260, 336, 576)], True)[0])
    reader.close()
    _assert_black_page_padded_white(result)


def _assert_black_page_padded_white(result) -> None:
    assert (result.width, result.height) == (336, 336)
    gray = gray_levels(decode_jpeg(result))
    assert gray[:, :20].mean() > 240
    assert gray[:, -20:].mean() > 240
    assert gray[:, 150:186].mean() < 15


# --- SVG --------------------------------------------------------------------------------------

SVG = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
    '<rect x="0" y="0" width="200" height="100" fill="white"/>'
    '<rect x="20" y="20" width="80" height="60" fill="#ff0000"/>'
    "</svg>\n"
)


def test_svg_renders_through_pymupdf(tmp_path: Path):
    path = tmp_path / "drawing.svg"
    path.write_text(SVG, encoding="utf-8")
    reader, layout = open_layout(path)
    assert reader.source.format == "svg"
    assert layout.page_count == 1
    (w, h) = layout.page_sizes[0]
    assert abs(w / h - 2) < 0.02
    planned = plan_pages(layout)[0]
    result = rendered_image(render_pages(reader, [planned], False)[0])
    reader.close()
    image = decode_jpeg(result).convert("RGB")
    assert abs(image.width - planned.width) <= 1 and abs(image.height - planned.height) <= 1
    r, g, b = image.getpixel((int(image.width * 0.3), int(image.height * 0.5)))
    assert r > 200 and g < 60 and b < 60  # inside the red rect
    assert min(image.getpixel((int(image.width * 0.8), int(image.height * 0.5)))) > 230


def test_broken_svg_is_a_source_error(tmp_path: Path):
    path = tmp_path / "broken.svg"
    path.write_text("<svg xmlns='http://www.w3.org/2000/svg' <<<", encoding="utf-8")
    with pytest.raises(SourceError, match="cannot open SVG") as excinfo:
        open_layout(path)
    assert str(tmp_path) not in str(excinfo.value)


# --- generated raster inputs ------------------------------------------------------------------


def test_decompression_bomb_fails_fast_without_decoding(tmp_path: Path):
    path = _bilevel_png_bomb(tmp_path / "bomb.png", 20_000)
    assert path.stat().st_size < 200_000
    options = RenderOptions(max_source_pixels=100_000_000)
    source = identify(path)
    new_images = Image.core.get_stats()["new_count"]  # Pillow's count of pixel buffers
    tracemalloc.start()
    try:
        with pytest.raises(SourceError, match=r"limit") as excinfo:
            read_layout(source, options, None)
        with pytest.raises(SourceError, match=r"limit"):
            DocumentReader(source, options, None).render(PlannedPage(1, 100, 100, 10), False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "20000x20000" in str(excinfo.value)
    assert "100 Mpx" in str(excinfo.value)
    assert peak < 50 * 1024 * 1024
    # tracemalloc does not see Pillow's C buffers: check no image buffer was made either
    assert Image.core.get_stats()["new_count"] == new_images


def test_image_under_the_pixel_limit_is_read(tmp_path: Path):
    path = tmp_path / "small.png"
    Image.new("L", (400, 300), 255).save(path)
    _, layout = open_layout(path, options=RenderOptions(max_source_pixels=120_000))
    assert layout.page_sizes == ((400, 300),)
    with pytest.raises(SourceError, match="limit"):
        open_layout(path, options=RenderOptions(max_source_pixels=119_999))


def test_pixel_limit_applies_to_every_tiff_frame(tmp_path: Path):
    path = tmp_path / "two_frames.tiff"
    small, big = Image.new("L", (10, 10), 255), Image.new("L", (2000, 2000), 0)
    small.save(path, save_all=True, append_images=[big], compression="tiff_lzw")
    options = RenderOptions(max_source_pixels=1_000_000)
    try:
        reader, _ = open_layout(path, options=options)
    except SourceError as exc:
        assert "limit" in str(exc)
        return
    result = render_pages(reader, [PlannedPage(2, 100, 100, 10)], False)[0]
    assert isinstance(result, SourceError)
    assert "limit" in str(result)


def test_text_file_named_as_an_image_is_a_source_error(tmp_path: Path):
    path = tmp_path / "fake.jpg"
    path.write_text("not a picture", encoding="utf-8")
    with pytest.raises(SourceError, match="cannot read jpeg image"):
        open_layout(path)
