"""Opening inputs and rasterising their pages: generated files and the shared corpus."""

import csv
import hashlib
import io
import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pymupdf
import pytest
from PIL import Image

from extractors.errors import SourceError
from extractors.load.identify import UnreadSourceError, identify
from extractors.load.reader import DocumentReader, read_layout, render_pages
from extractors.options import RenderOptions
from extractors.plan.profiles.llava import CentreCropProfile
from extractors.plan.profiles.pixtral import PixtralProfile
from extractors.plan.profiles.qwen import QwenProfile
from extractors.plan.sizing import size_page
from extractors.records import PlannedPage, RenderedImage

OPTIONS = RenderOptions()
LETTER_PT = (612, 792)
LETTER_200_DPI = (1700, 2200)


# --- helpers ----------------------------------------------------------------------------------


def _open(path: Path, password: str | None = None, options: RenderOptions = OPTIONS):
    return read_layout(identify(path), options, password)


def _plan(layout, profile=None, budget: int = 100_000) -> list[PlannedPage]:
    profile = profile or PixtralProfile()
    return [
        size_page(i, w, h, profile, budget) for i, (w, h) in enumerate(layout.page_sizes, start=1)
    ]


def _decode(rendered: RenderedImage) -> Image.Image:
    assert rendered.mime == "image/jpeg"
    assert rendered.data[:2] == b"\xff\xd8"
    image = Image.open(io.BytesIO(rendered.data))
    assert image.format == "JPEG"
    assert image.size == (rendered.width, rendered.height)
    return image


def _rendered(result) -> RenderedImage:
    assert isinstance(result, RenderedImage), f"expected an image, got {result!r}"
    return result


def _gray(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.float64)


def _make_pdf(path: Path, fills: list[float], size: tuple[float, float] = LETTER_PT) -> Path:
    """A PDF whose page i is filled with gray level fills[i] (0 black .. 1 white)."""
    document = pymupdf.open()
    for level in fills:
        page = document.new_page(width=size[0], height=size[1])
        page.draw_rect(page.rect, color=None, fill=(level, level, level))
    document.save(path)
    document.close()
    return path


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
    return _make_pdf(tmp_path / "letter.pdf", [0.0, 1.0, 0.5])


@pytest.fixture
def passwords(corpus: Path) -> dict[str, str]:
    with (corpus / "pdfs" / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        return {row["file"]: row["password"] for row in csv.DictReader(handle) if row["password"]}


# --- identify ---------------------------------------------------------------------------------


def test_identify_hashes_the_whole_file(tmp_path: Path):
    # larger than the 1 MiB hashing block, so several blocks are read
    data = b"%PDF-1.7\n" + np.random.default_rng(0).bytes(3 * (1 << 20) + 17)
    path = tmp_path / "big.pdf"
    path.write_bytes(data)
    source = identify(path)
    assert source.sha256 == hashlib.sha256(data).hexdigest()
    assert source.format == "pdf"
    assert source.path == str(path)


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("a.bin", b"%PDF-1.4\n", "pdf"),
        ("junk_prefix.dat", b"garbage before the header\n%PDF-1.5\n", "pdf"),
        ("photo.png", b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),  # bytes win over the suffix
        ("x", b"\x89PNG\r\n\x1a\n", "png"),
        ("x", b"GIF89a", "gif"),
        ("x", b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        ("x", b"II*\x00", "tiff"),
        ("x", b"\x00\x00\x00\x18ftypheic", "heif"),
        ("x", b"\x00\x00\x00\x18ftypavif", "avif"),
        ("x", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "svg"),
        ("x", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "svg"),
        ("scan.TIF", b"no magic here", "tiff"),  # the suffix only when the bytes say nothing
    ],
)
def test_identify_format(tmp_path: Path, name: str, head: bytes, expected: str):
    path = tmp_path / name
    path.write_bytes(head + b"\x00" * 64)
    assert identify(path).format == expected


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.txt", b"just some text\n"),
        ("report.docx", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200),
        ("no_suffix", b"PK\x03\x04" + b"\x00" * 50),
    ],
)
def test_identify_rejects_unsupported_files(tmp_path: Path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SourceError, match="unsupported file type"):
        identify(path)


@pytest.mark.parametrize("name", ["empty.pdf", "empty.txt", "empty"])
def test_identify_rejects_empty_files(tmp_path: Path, name: str):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(SourceError, match="empty file"):
        identify(path)


def test_identify_unreadable_path(tmp_path: Path):
    with pytest.raises(SourceError, match="cannot read file"):
        identify(tmp_path / "missing.pdf")
    with pytest.raises(SourceError, match="cannot read file"):
        identify(tmp_path)  # a directory


def test_unread_source_error_carries_the_hashed_source(tmp_path: Path):
    path = tmp_path / "notes.TXT"
    path.write_bytes(b"abc")
    with pytest.raises(UnreadSourceError) as unsupported:
        identify(path)
    assert unsupported.value.source.sha256 == hashlib.sha256(b"abc").hexdigest()
    assert unsupported.value.source.format == "txt"
    with pytest.raises(UnreadSourceError) as gone:
        identify(tmp_path / "gone.pdf")
    assert gone.value.source.sha256 == ""


# --- generated PDFs ---------------------------------------------------------------------------


def test_letter_pdf_layout_is_at_the_dpi_cap(letter_pdf: Path):
    reader, layout = _open(letter_pdf)
    reader.close()
    assert layout.page_count == 3
    assert layout.page_sizes == (LETTER_200_DPI,) * 3
    _, layout72 = _open(letter_pdf, options=RenderOptions(max_dpi=72))
    assert layout72.page_sizes == (LETTER_PT,) * 3


@pytest.mark.parametrize(
    ("profile", "budget"),
    [(PixtralProfile(), 100_000), (PixtralProfile(), 1_200), (QwenProfile(), 100_000)],
    ids=["pixtral", "pixtral-small-budget", "qwen"],
)
def test_letter_pdf_renders_at_the_planned_size(letter_pdf: Path, profile, budget):
    reader, layout = _open(letter_pdf)
    planned = size_page(1, *layout.page_sizes[0], profile, budget)
    if profile == PixtralProfile() and budget == 100_000:
        assert (planned.width, planned.height) == (791, 1024)
    result = _rendered(render_pages(reader, [planned], False)[0])
    reader.close()
    assert result.page == 1
    assert abs(result.width - planned.width) <= 1
    assert abs(result.height - planned.height) <= 1
    assert result.mime == "image/jpeg"
    assert result.data.startswith(b"\xff\xd8")
    image = _decode(result)
    assert image.mode == "RGB"


def test_render_pages_keeps_the_requested_order_and_content(letter_pdf: Path):
    reader, layout = _open(letter_pdf)
    planned = _plan(layout)
    results = [
        _rendered(r) for r in render_pages(reader, [planned[1], planned[0], planned[2]], False)
    ]
    reader.close()
    assert [r.page for r in results] == [2, 1, 3]
    means = [_gray(_decode(r)).mean() for r in results]
    assert means[0] > 250  # page 2 is white
    assert means[1] < 5  # page 1 is black
    assert 110 < means[2] < 145  # page 3 is mid gray


def test_reader_reopens_after_close(letter_pdf: Path):
    reader, layout = _open(letter_pdf)
    reader.close()
    reader.close()  # twice is harmless
    result = reader.render(_plan(layout)[1], False)
    reader.close()
    assert result.page == 2
    assert _gray(_decode(result)).mean() > 250


def test_jpeg_quality_option_changes_the_encoding(tmp_path: Path):
    image = Image.fromarray(
        np.random.default_rng(1).integers(0, 256, (300, 400, 3), dtype=np.uint8), "RGB"
    )
    path = tmp_path / "noise.png"
    image.save(path)
    sizes = []
    for quality in (30, 95):
        reader, layout = _open(path, options=RenderOptions(jpeg_quality=quality))
        sizes.append(len(reader.render(_plan(layout)[0], False).data))
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
    path = _make_pdf(tmp_path / "black.pdf", [0.0])
    reader, layout = _open(path)
    planned = size_page(1, *layout.page_sizes[0], CentreCropProfile(), 100_000)
    result = _rendered(render_pages(reader, [planned], True)[0])
    reader.close()
    # the black page keeps its aspect (about 260 px wide): white bands left and right
    _assert_black_page_padded_white(result)


def test_pad_to_square_pads_a_non_square_render(tmp_path: Path):
    # What render() does when given a non-square size with pad_to_square.
    path = _make_pdf(tmp_path / "black.pdf", [0.0])
    reader, _ = _open(path)
    result = _rendered(render_pages(reader, [PlannedPage(1, 260, 336, 576)], True)[0])
    reader.close()
    _assert_black_page_padded_white(result)


def _assert_black_page_padded_white(result) -> None:
    assert (result.width, result.height) == (336, 336)
    gray = _gray(_decode(result))
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
    reader, layout = _open(path)
    assert reader.source.format == "svg"
    assert layout.page_count == 1
    (w, h) = layout.page_sizes[0]
    assert abs(w / h - 2) < 0.02
    planned = _plan(layout)[0]
    result = _rendered(render_pages(reader, [planned], False)[0])
    reader.close()
    image = _decode(result).convert("RGB")
    assert abs(image.width - planned.width) <= 1 and abs(image.height - planned.height) <= 1
    r, g, b = image.getpixel((int(image.width * 0.3), int(image.height * 0.5)))
    assert r > 200 and g < 60 and b < 60  # inside the red rect
    assert min(image.getpixel((int(image.width * 0.8), int(image.height * 0.5)))) > 230


def test_broken_svg_is_a_source_error(tmp_path: Path):
    path = tmp_path / "broken.svg"
    path.write_text("<svg xmlns='http://www.w3.org/2000/svg' <<<", encoding="utf-8")
    with pytest.raises(SourceError, match="cannot open SVG") as excinfo:
        _open(path)
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
    _, layout = _open(path, options=RenderOptions(max_source_pixels=120_000))
    assert layout.page_sizes == ((400, 300),)
    with pytest.raises(SourceError, match="limit"):
        _open(path, options=RenderOptions(max_source_pixels=119_999))


def test_pixel_limit_applies_to_every_tiff_frame(tmp_path: Path):
    path = tmp_path / "two_frames.tiff"
    small, big = Image.new("L", (10, 10), 255), Image.new("L", (2000, 2000), 0)
    small.save(path, save_all=True, append_images=[big], compression="tiff_lzw")
    options = RenderOptions(max_source_pixels=1_000_000)
    try:
        reader, _ = _open(path, options=options)
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
        _open(path)


# --- corpus: PDFs -----------------------------------------------------------------------------


def test_rotated_pages_are_sized_and_rendered_as_rotated(corpus: Path):
    path = corpus / "pdfs" / "rotated_0_90_180_270.pdf"
    with pymupdf.open(path) as document:
        page2 = document[1]
        assert page2.rotation == 90
        assert page2.mediabox.width < page2.mediabox.height  # stored portrait
    reader, layout = _open(path)
    assert layout.page_count == 4
    # /Rotate 90 turns the portrait MediaBox of page 2 into a landscape page
    w, h = layout.page_sizes[1]
    assert (w, h) == (round(842 * 200 / 72), round(595 * 200 / 72))
    planned = _plan(layout)
    results = [_rendered(r) for r in render_pages(reader, planned, False)]
    reader.close()
    for result, (pw, ph) in zip(results, layout.page_sizes, strict=True):
        assert (result.width > result.height) == (pw > ph)
    assert (results[1].width, results[1].height) == (1024, 724)


def test_inherited_rotate_is_honoured(corpus: Path):
    reader, layout = _open(corpus / "pdfs" / "rotated_inherited.pdf")
    result = _rendered(render_pages(reader, _plan(layout), False)[0])
    reader.close()
    assert layout.page_sizes == ((2200, 1700),)  # 612x792 MediaBox, /Rotate 90 on /Pages
    assert result.width > result.height


def test_cropbox_not_mediabox_sizes_the_page(corpus: Path):
    reader, layout = _open(corpus / "pdfs" / "huge_mediabox_14402pt_cropbox_4pt.pdf")
    assert layout.page_count == 1
    w, h = layout.page_sizes[0]
    assert w <= 12 and h <= 12  # 4 pt at 200 DPI, not a 14402-pt canvas
    result = _rendered(render_pages(reader, _plan(layout), False)[0])
    reader.close()
    assert result.width <= 12 and result.height <= 12


@pytest.mark.parametrize(
    ("name", "expected"),
    [("userunit_72_letter.pdf", LETTER_200_DPI), ("userunit_3_text.pdf", (5100, 6600))],
)
def test_userunit_is_applied(corpus: Path, name: str, expected):
    reader, layout = _open(corpus / "pdfs" / name)
    result = _rendered(render_pages(reader, _plan(layout), False)[0])
    reader.close()
    assert layout.page_sizes == (expected,)
    assert (result.width, result.height) == PixtralProfile().fit(*expected)


def test_encrypted_pdf_needs_its_password(corpus: Path, passwords: dict[str, str]):
    path = corpus / "pdfs" / "enc_r6_aes256_user_pw.pdf"
    assert passwords["enc_r6_aes256_user_pw.pdf"] == "asdfzxcv"
    with pytest.raises(SourceError, match="password"):
        _open(path)
    with pytest.raises(SourceError, match="password"):
        _open(path, password="wrong")
    reader, layout = _open(path, password="asdfzxcv")
    result = _rendered(render_pages(reader, _plan(layout), False)[0])
    reader.close()
    assert layout.page_count == 1
    assert _gray(_decode(result)).std() > 1  # something was drawn


def test_libreoffice_encrypted_pdf_opens_with_its_password(corpus: Path, passwords):
    name = "enc_libreoffice_user_pw.pdf"
    with pytest.raises(SourceError, match="password"):
        _open(corpus / "pdfs" / name)
    reader, layout = _open(corpus / "pdfs" / name, password=passwords[name])
    reader.close()
    assert layout.page_count == 1


@pytest.mark.parametrize("name", ["enc_r4_owner_pw_only.pdf", "enc_empty_user_pw.pdf"])
def test_pdf_with_empty_user_password_opens_without_one(corpus: Path, name: str):
    reader, layout = _open(corpus / "pdfs" / name)
    results = render_pages(reader, _plan(layout), False)
    reader.close()
    assert layout.page_count == 1
    assert isinstance(results[0], RenderedImage)


def test_r6_password_is_saslprepped(corpus: Path, passwords):
    name = "enc_r6_saslprep_unicode_pw.pdf"
    assert passwords[name] == "S\u00aaSL\u00adprep"
    reader, layout = _open(corpus / "pdfs" / name, password=passwords[name])
    reader.close()
    assert layout.page_count == 1


def test_zero_page_pdf(corpus: Path):
    with pytest.raises(SourceError, match="no pages"):
        _open(corpus / "pdfs" / "zero_pages.pdf")


@pytest.mark.parametrize("name", ["malformed_not_a_pdf.pdf", "malformed_fuzzed_unopenable.pdf"])
def test_unopenable_pdf(corpus: Path, name: str):
    with pytest.raises(SourceError, match="cannot open PDF") as excinfo:
        _open(corpus / "pdfs" / name)
    assert str(corpus) not in str(excinfo.value)  # the file name only, not the full path


def test_page_tree_cycle_fails_only_the_bad_page(corpus: Path):
    reader, layout = _open(corpus / "pdfs" / "malformed_page_tree_cycle.pdf")
    assert layout.page_count == 2
    results = render_pages(reader, _plan(layout), False)
    reader.close()
    first = _rendered(results[0])
    assert first.page == 1
    _decode(first)
    assert isinstance(results[1], SourceError)
    assert "page 2" in str(results[1])


# --- corpus: images ---------------------------------------------------------------------------


def _render_corpus_image(corpus: Path, name: str, size: tuple[int, int] | None = None):
    reader, layout = _open(corpus / "images" / name)
    planned = _plan(layout)
    if size is not None:
        planned = [PlannedPage(1, *size, 0)]
    results = render_pages(reader, planned[:1], False)
    reader.close()
    return layout, _rendered(results[0])


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
    diff = np.abs(_gray(_decode(result)) - _gray(_decode(reference))).mean()
    assert diff < 8


def test_cmyk_jpeg_becomes_rgb_jpeg(corpus: Path):
    _, result = _render_corpus_image(corpus, "jpeg_cmyk_adobe_ycck.jpg")
    image = _decode(result)
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
    gray = _gray(_decode(result))
    assert gray.shape == expected.shape
    assert np.abs(gray - expected).mean() < 6
    assert gray.min() < 30 and gray.max() > 225


def test_16bit_gray_png_transparency_is_flattened_on_white(corpus: Path):
    name = "png_16bit_gray_trns.png"
    with Image.open(corpus / "images" / name) as raw:
        transparent = np.asarray(raw) == raw.info["transparency"]
    assert transparent[32, 32]  # the centre of the transparent disc
    _, result = _render_corpus_image(corpus, name)
    assert _gray(_decode(result))[30:35, 30:35].mean() > 200


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
    image = _decode(result).convert("RGB")
    assert image.size == (alpha.shape[1], alpha.shape[0])
    assert min(image.getpixel((x, y))) > 235


def test_multipage_tiff_pages(corpus: Path):
    reader, layout = _open(corpus / "images" / "tiff_multipage_g4_fax_3pages.tiff")
    assert layout.page_count == 3
    assert layout.page_sizes == ((3307, 4677),) * 3
    last = _plan(layout)[2]
    result = _rendered(render_pages(reader, [last], False)[0])
    reader.close()
    assert result.page == 3
    assert (result.width, result.height) == (last.width, last.height)


def test_multipage_tiff_frames_of_different_sizes(corpus: Path):
    reader, layout = _open(corpus / "images" / "tiff_multipage_3frames_tiny.tiff")
    assert layout.page_count == 3
    planned = _plan(layout)
    results = [_rendered(r) for r in render_pages(reader, planned, False)]
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
    assert _gray(_decode(result)).std() > 1


def test_heic_photo(corpus: Path):
    layout, result = _render_corpus_image(corpus, "heic_iphone8plus_12mp_icc.heic")
    assert layout.source.format == "heif"
    assert layout.page_sizes == ((3024, 4032),)
    assert (result.width, result.height) == (768, 1024)
    assert _gray(_decode(result)).std() > 5


def test_heic_with_several_images_gives_several_pages(corpus: Path):
    reader, layout = _open(corpus / "images" / "heic_3_images_gray.heic")
    results = [_rendered(r) for r in render_pages(reader, _plan(layout), False)]
    reader.close()
    assert layout.page_count == 3
    assert [(r.width, r.height) for r in results] == list(layout.page_sizes)


def test_heic_with_truncated_second_image(corpus: Path):
    reader, layout = _open(corpus / "images" / "heic_truncated_2nd_image.heic")
    results = render_pages(reader, _plan(layout), False)
    reader.close()
    assert layout.page_count == 2
    assert _rendered(results[0]).page == 1
    assert isinstance(results[1], SourceError)
    assert "frame 2" in str(results[1])


def test_truncated_jpeg_is_a_source_error(corpus: Path):
    reader, layout = _open(corpus / "images" / "jpeg_truncated.jpg")
    results = render_pages(reader, _plan(layout), False)
    reader.close()
    assert isinstance(results[0], SourceError)
    assert "truncated" in str(results[0])


def test_broken_png_is_a_source_error(corpus: Path):
    with pytest.raises(SourceError, match="cannot read png image") as excinfo:
        _open(corpus / "images" / "png_broken.png")
    assert str(corpus) not in str(excinfo.value)
