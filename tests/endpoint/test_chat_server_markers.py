"""The page markers the fake chat server reads: they survive rendering, resizing and JPEG."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from chat_requests import jpeg_bytes, render_page_jpeg
from markers import (
    encode_value,
    expected_text,
    make_marked_image,
    make_marked_pdf,
    marked_image,
    read_marker,
)
from PIL import Image


def test_encode_value_and_expected_text() -> None:
    assert encode_value(3, 7) == 3 * 256 + 7
    assert expected_text(encode_value(12, 255)) == "marker 12-255"
    with pytest.raises(ValueError):
        encode_value(0, 0)


@pytest.mark.parametrize("zoom", [0.5, 1.0, 1.2929, 2.0])
def test_read_marker_pdf_rendered_as_jpeg(tmp_path: Path, zoom: float) -> None:
    pdf = tmp_path / "doc.pdf"
    make_marked_pdf(pdf, doc_id=201, n_pages=3)
    for page in (1, 2, 3):
        img = Image.open(io.BytesIO(render_page_jpeg(pdf, page, zoom)))
        assert read_marker(img) == encode_value(201, page)


@pytest.mark.parametrize("size", [(791, 1024), (300, 400), (120, 160), (1000, 700)])
def test_read_marker_survives_resize_and_jpeg(size: tuple[int, int]) -> None:
    value = encode_value(255, 255)  # every data bit black
    img = marked_image(value, (612, 792)).resize(size, Image.Resampling.LANCZOS)
    assert read_marker(Image.open(io.BytesIO(jpeg_bytes(img)))) == value


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_make_marked_image_formats(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"page{suffix}"
    make_marked_image(path, doc_id=9, page=4)
    with Image.open(path) as img:
        assert img.mode == "RGB"
        assert read_marker(img) == encode_value(9, 4)
        img.thumbnail((250, 250))  # aspect-preserving downscale
        assert read_marker(img) == encode_value(9, 4)


def test_read_marker_rejects_ordinary_images() -> None:
    rng = random.Random(1)
    noise = Image.frombytes("RGB", (400, 500), bytes(rng.randrange(256) for _ in range(600_000)))
    gradient = Image.linear_gradient("L").resize((400, 500))  # black top, white bottom
    white = Image.new("RGB", (400, 500), "white")
    black = Image.new("RGB", (400, 500), "black")
    # A "document": black title bar at the top, white page with text-like lines below.
    doc = Image.new("RGB", (400, 500), "white")
    doc.paste((0, 0, 0), (0, 0, 400, 28))
    for y in range(60, 460, 14):
        doc.paste((0, 0, 0), (30, y, rng.randrange(120, 370), y + 4))
    for img in (noise, gradient, white, black, doc):
        assert read_marker(img) is None
