"""Reading the shared corpus's images: EXIF orientation, colour modes, frames, HEIC, damage."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from render_checks import (
    decode_jpeg,
    gray_levels,
    open_layout,
    plan_pages,
    render_pages,
    rendered_image,
)

from extractors.errors import SourceError
from extractors.records import PlannedPage


def _render_corpus_image(corpus: Path, name: str, size: tuple[int, int] | None = None):
    reader, layout = open_layout(corpus / "images" / name)
    planned = plan_pages(layout)
    if size is not None:
        planned = [PlannedPage(1, *size, 0)]
    results = render_pages(reader, planned[:1], False)
    reader.close()
    return layout, rendered_image(results[0])


@pytest.mark.parametrize(
    "name",
    [
        "exif_orientation6_landscape.jpg",
        "exif_orientation8_landscape.jpg",
        "exif_orientation3_landscape.jpg",
    ],
)
@pytest.mark.parametrize("size", [None, (180, 120)], ids=["planned", "draft-scaled"])
def test_exif_orientation_is_applied(corpus: Path, name: str, size):
    with Image.open(corpus / "images" / name) as raw:
        stored = raw.size
    layout, result = _render_corpus_image(corpus, name, size)
    assert layout.page_sizes == ((1800, 1200),)  # landscape once oriented
    if "6" in name or "8" in name:
        assert stored == (1200, 1800)  # stored portrait
    assert result.width > result.height
    # same picture as the orientation-1 file, rendered at the same size
    _, reference = _render_corpus_image(
        corpus, "exif_orientation1_landscape.jpg", (result.width, result.height)
    )
    diff = np.abs(gray_levels(decode_jpeg(result)) - gray_levels(decode_jpeg(reference))).mean()
    assert diff < 8


def test_cmyk_jpeg_becomes_rgb_jpeg(corpus: Path):
    _, result = _render_corpus_image(corpus, "jpeg_cmyk_adobe_ycck.jpg")
    image = decode_jpeg(result)
    assert image.mode == "RGB"
    # the sample is red in the top-left corner and black in the bottom-right one
    r, g, b = image.getpixel((2, 2))
    assert r > 200 and g < 60 and b < 60
    assert max(image.getpixel((image.width - 3, image.height - 3))) < 40


def test_16bit_gray_png_is_scaled_not_clipped(corpus: Path):
    name = "png_16bit_gray.png"
    with Image.open(corpus / "images" / name) as raw:
        assert raw.mode == "I;16"
        expected = np.asarray(raw, dtype=np.float64) * 255 / 65535
    _, result = _render_corpus_image(corpus, name)
    gray = gray_levels(decode_jpeg(result))
    assert gray.shape == expected.shape
    assert np.abs(gray - expected).mean() < 6
    assert gray.min() < 30 and gray.max() > 225


def test_16bit_gray_png_transparency_is_flattened_on_white(corpus: Path):
    name = "png_16bit_gray_trns.png"
    with Image.open(corpus / "images" / name) as raw:
        transparent = np.asarray(raw) == raw.info["transparency"]
    assert transparent[32, 32]  # the centre of the transparent disc
    _, result = _render_corpus_image(corpus, name)
    assert gray_levels(decode_jpeg(result))[30:35, 30:35].mean() > 200


def test_rgba_png_is_flattened_on_white(corpus: Path):
    name = "png_rgba_alpha.png"
    with Image.open(corpus / "images" / name) as raw:
        alpha = np.asarray(raw)[..., 3]
    # a pixel deep inside a fully transparent area (JPEG blurs edges)
    clear = alpha == 0
    y, x = next(
        (y, x)
        for y in range(4, alpha.shape[0] - 4)
        for x in range(4, alpha.shape[1] - 4)
        if clear[y - 4 : y + 5, x - 4 : x + 5].all()
    )
    _, result = _render_corpus_image(corpus, name)
    image = decode_jpeg(result).convert("RGB")
    assert image.size == (alpha.shape[1], alpha.shape[0])
    assert min(image.getpixel((x, y))) > 235


def test_multipage_tiff_pages(corpus: Path):
    reader, layout = open_layout(corpus / "images" / "tiff_multipage_g4_fax_3pages.tiff")
    assert layout.page_count == 3
    assert layout.page_sizes == ((3307, 4677),) * 3
    last = plan_pages(layout)[2]
    result = rendered_image(render_pages(reader, [last], False)[0])
    reader.close()
    assert result.page == 3
    assert (result.width, result.height) == (last.width, last.height)


def test_multipage_tiff_frames_of_different_sizes(corpus: Path):
    reader, layout = open_layout(corpus / "images" / "tiff_multipage_3frames_tiny.tiff")
    assert layout.page_count == 3
    planned = plan_pages(layout)
    results = [rendered_image(r) for r in render_pages(reader, planned, False)]
    reader.close()
    assert [(r.width, r.height) for r in results] == list(layout.page_sizes)


@pytest.mark.parametrize(
    "name",
    [
        "anim_gif_42frames.gif",
        "anim_webp_42frames.webp",
        "anim_apng_41frames.apng",
        "mpo_stereo_2frames.mpo",
    ],
)
def test_animations_and_stereo_pairs_are_one_page(corpus: Path, name: str):
    layout, result = _render_corpus_image(corpus, name)
    assert layout.page_count == 1
    assert gray_levels(decode_jpeg(result)).std() > 1


def test_heic_photo(corpus: Path):
    layout, result = _render_corpus_image(corpus, "heic_iphone8plus_12mp_icc.heic")
    assert layout.source.format == "heif"
    assert layout.page_sizes == ((3024, 4032),)
    assert (result.width, result.height) == (768, 1024)
    assert gray_levels(decode_jpeg(result)).std() > 5


def test_heic_with_several_images_gives_several_pages(corpus: Path):
    reader, layout = open_layout(corpus / "images" / "heic_3_images_gray.heic")
    results = [rendered_image(r) for r in render_pages(reader, plan_pages(layout), False)]
    reader.close()
    assert layout.page_count == 3
    assert [(r.width, r.height) for r in results] == list(layout.page_sizes)


def test_heic_with_truncated_second_image(corpus: Path):
    reader, layout = open_layout(corpus / "images" / "heic_truncated_2nd_image.heic")
    results = render_pages(reader, plan_pages(layout), False)
    reader.close()
    assert layout.page_count == 2
    assert rendered_image(results[0]).page == 1
    assert isinstance(results[1], SourceError)
    assert "frame 2" in str(results[1])


def test_truncated_jpeg_is_a_source_error(corpus: Path):
    reader, layout = open_layout(corpus / "images" / "jpeg_truncated.jpg")
    results = render_pages(reader, plan_pages(layout), False)
    reader.close()
    assert isinstance(results[0], SourceError)
    assert "truncated" in str(results[0])


def test_broken_png_is_a_source_error(corpus: Path):
    with pytest.raises(SourceError, match="cannot read png image") as excinfo:
        open_layout(corpus / "images" / "png_broken.png")
    assert str(corpus) not in str(excinfo.value)
