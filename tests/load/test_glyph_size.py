"""`--min-glyph-px`: a page's small print measured on its drawing, the page shrunk while that
print stays legible, never enlarged, and pages that are not print left as planned."""

import random
from pathlib import Path

import pymupdf
import pytest
from chat_server import ChatServer
from harness import run
from page_checks import read_pages
from PIL import Image, ImageDraw
from render_checks import decode_jpeg, open_layout, plan_pages
from typer.testing import CliRunner

from extractors.load.glyph_size import (
    MIN_GLYPHS,
    GlyphMeasure,
    legible_size,
    shrunk_to_print,
    small_print_height,
)
from extractors.options import RenderOptions, options_version
from extractors.plan.profiles.pixtral import PixtralProfile
from flows.commands.cli import app

WORDS = [
    "invoice",
    "total",
    "amount",
    "paid",
    "cash",
    "change",
    "receipt",
    "number",
    "date",
    "tax",
    "goods",
]


def _print(path: Path, fontsize: float, lines: int = 30) -> Path:
    """A letter page of words set at `fontsize` points."""
    rng = random.Random(7)
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    leading = fontsize * 1.4
    for number in range(lines):
        baseline = 72 + leading * (number + 1)
        if baseline > 740:
            break
        words = " ".join(rng.choice(WORDS) for _ in range(40))
        while pymupdf.get_text_length(words, fontsize=fontsize) > 468:
            words = words.rsplit(" ", 1)[0]
        page.insert_text((72, baseline), words.capitalize(), fontsize=fontsize)
    document.save(path)
    document.close()
    return path


def _drawn(path: Path, scale: float) -> Image.Image:
    with pymupdf.open(path) as document:
        pixmap = document[0].get_pixmap(matrix=pymupdf.Matrix(scale, scale), alpha=False)
    return Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)


def test_small_print_scales_with_the_drawing(tmp_path: Path) -> None:
    path = _print(tmp_path / "letter.pdf", 11)
    small, large = (small_print_height(_drawn(path, scale)) for scale in (1.3, 2.6))
    assert small.height is not None and large.height is not None
    assert small.glyphs >= MIN_GLYPHS and large.glyphs >= MIN_GLYPHS
    # 11 pt at 1.3 px a point: the small print (x-height letters) is ~8 px high.
    assert 5 <= small.height <= 12
    assert 1.6 < large.height / small.height < 2.4


def test_large_print_is_shrunk_until_its_small_print_is_the_floor(tmp_path: Path) -> None:
    image = _drawn(_print(tmp_path / "big.pdf", 24), 1.3)
    before = small_print_height(image)
    shrunk = shrunk_to_print(image, 8)
    after = small_print_height(shrunk)
    assert before.height is not None and before.height > 12
    assert shrunk.width < 0.75 * image.width and shrunk.height < 0.75 * image.height
    # The aspect is kept, and the small print is at the floor, give or take a pixel.
    assert abs(shrunk.width / shrunk.height - image.width / image.height) < 0.01
    assert after.height is not None and 7 <= after.height <= 9


def test_print_already_at_the_floor_is_never_enlarged(tmp_path: Path) -> None:
    image = _drawn(_print(tmp_path / "letter.pdf", 9), 1.3)
    assert shrunk_to_print(image, 16) is image
    assert shrunk_to_print(image, 8).size == image.size


def test_pages_that_are_not_print_are_left_as_they_are() -> None:
    rules = Image.new("RGB", (800, 1000), "white")
    draw = ImageDraw.Draw(rules)
    for y in range(50, 950, 40):  # a form's rules: wide, not glyphs
        draw.rectangle((40, y, 760, y + 2), fill="black")
    draw.rectangle((300, 400, 500, 600), fill="black")  # a block, taller than any glyph
    photo = Image.effect_noise((800, 1000), 60).convert("RGB")
    for image in (rules, photo, Image.new("RGB", (800, 1000), "white")):
        measure = small_print_height(image)
        assert measure.height is None or measure.height <= 8
        assert shrunk_to_print(image, 8).size == image.size


def test_a_shrink_of_less_than_a_tenth_a_side_is_not_made() -> None:
    assert legible_size((1000, 800), GlyphMeasure(8.5, 100), 8) == (1000, 800)
    assert legible_size((1000, 800), GlyphMeasure(16.0, 100), 8) == (500, 400)
    assert legible_size((1000, 800), GlyphMeasure(None, 3), 8) == (1000, 800)


def test_the_reader_sends_large_print_smaller_than_planned(tmp_path: Path) -> None:
    path = _print(tmp_path / "big.pdf", 24)
    options = RenderOptions(min_glyph_px=8)
    reader, layout = open_layout(path, None, options)
    (page,) = plan_pages(layout)
    image = reader.render(page, False)
    reader.close()
    assert image.width < page.width and image.height < page.height
    assert decode_jpeg(image).size == (image.width, image.height)
    # Rows of runs without the option keep their resume key; with it, pages are asked again.
    assert options_version("pixtral", RenderOptions()) == options_version(
        "pixtral", RenderOptions(min_glyph_px=None)
    )
    assert options_version("pixtral", RenderOptions()) != options_version("pixtral", options)


@pytest.mark.parametrize("floor", [None, 8])
def test_rows_record_the_image_sent_and_its_tokens(tmp_path: Path, floor: int | None) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _print(folder / "big.pdf", 24)
    _print(folder / "small.pdf", 9)
    with ChatServer() as server:
        run(
            [folder],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            text_layer="off",
            min_glyph_px=floor,
        )
    rows = {Path(r["source"]).name: r for r in read_pages(tmp_path / "out").to_dicts()}
    assert [rows[name]["status"] for name in ("big.pdf", "small.pdf")] == ["ok", "ok"]
    profile = PixtralProfile()
    for row in rows.values():
        assert row["image_tokens"] == profile.image_tokens(row["width"], row["height"])
    # Both pages are letters: planned at the same size, the large print alone sent smaller.
    same_plan = (rows["small.pdf"]["width"], rows["small.pdf"]["height"])
    big = (rows["big.pdf"]["width"], rows["big.pdf"]["height"])
    if floor is None:
        assert big == same_plan
    else:
        assert big[0] < 0.75 * same_plan[0] and big[1] < 0.75 * same_plan[1]


@pytest.mark.parametrize("value", ["3", "65", "seven"])
def test_a_floor_out_of_range_is_a_usage_error_before_anything_runs(
    tmp_path: Path, value: str
) -> None:
    arguments = ["run", str(tmp_path), "--out", str(tmp_path / "out"), "--min-glyph-px", value]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 2
    assert "min-glyph-px" in result.output
    assert not (tmp_path / "out").exists()
