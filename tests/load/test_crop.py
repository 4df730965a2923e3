"""`--crop-margins`: a page's content box found at layout time, sized and drawn in its place,
and off by default."""

from pathlib import Path

import pymupdf
import pytest
from chat_server import ChatServer
from harness import run
from page_checks import read_pages
from render_checks import LETTER_200_DPI, decode_jpeg, open_layout, plan_pages

from extractors.options import RenderOptions, options_version
from extractors.plan.profiles.pixtral import PixtralProfile
from extractors.plan.sizing import size_pages

CROP = RenderOptions(crop_margins=True)
TEXT = "The quick brown fox jumps over the lazy dog, and pays the invoice. "


def _letter(path: Path, text_rect: tuple[float, float, float, float]) -> Path:
    """A letter page with its text set in `text_rect` (points)."""
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    x0, y0, x1, y1 = text_rect
    line = TEXT * 20
    while pymupdf.get_text_length(line, fontsize=10) > x1 - x0:
        line = line[:-1]
    for baseline in range(int(y0) + 10, int(y1), 12):  # lines that fill the rectangle
        page.insert_text((x0, baseline), line, fontsize=10)
    document.save(path)
    document.close()
    return path


def test_content_box_of_a_page_with_wide_margins(tmp_path: Path) -> None:
    reader, layout = open_layout(_letter(tmp_path / "wide.pdf", (144, 144, 468, 500)), None, CROP)
    reader.close()
    (box,) = layout.content_boxes
    assert box is not None
    # The ink is inside 144..468 x 144..500 pt: the box holds it, plus a border of ~2%.
    assert 0.18 < box.x0 < 144 / 612 and 468 / 612 < box.x1 < 0.82
    assert 0.14 < box.y0 < 144 / 792 and box.y1 < 0.66
    assert layout.whole_sizes == (LETTER_200_DPI,)
    width, height = layout.page_sizes[0]
    assert width == round(1700 * (box.x1 - box.x0)) and height == round(2200 * (box.y1 - box.y0))


def test_no_crop_when_the_content_fills_the_page(tmp_path: Path) -> None:
    reader, layout = open_layout(_letter(tmp_path / "full.pdf", (12, 12, 600, 780)), None, CROP)
    reader.close()
    assert layout.content_boxes == (None,)
    assert layout.page_sizes == (LETTER_200_DPI,)


def test_a_cropped_page_has_more_pixels_per_content_inch_at_the_same_tokens(
    tmp_path: Path,
) -> None:
    """Sized to the same budget, the cropped page spends it on the text, not on paper."""
    path = _letter(tmp_path / "letter.pdf", (90, 90, 522, 700))
    profile, budget = PixtralProfile(), 1_200
    drawn = {}
    for crop in (False, True):
        reader, layout = open_layout(path, None, RenderOptions(crop_margins=crop))
        (page,) = plan_pages(layout, profile, budget)
        drawn[crop] = (page, reader.render(page, False), layout.content_boxes)
        reader.close()
    (whole, whole_image, _), (cropped, cropped_image, (box,)) = drawn[False], drawn[True]
    assert box is not None and cropped_image.crop == box and whole_image.crop is None
    assert cropped.image_tokens <= budget and whole.image_tokens <= budget
    assert decode_jpeg(cropped_image).size == (cropped.width, cropped.height)
    # Pixels per inch of the page, across and down: the text gets more of them.
    assert cropped.width / (8.5 * (box.x1 - box.x0)) > 1.15 * whole.width / 8.5
    assert cropped.height / (11 * (box.y1 - box.y0)) > 1.15 * whole.height / 11


def test_off_by_default_draws_the_whole_page_as_before(tmp_path: Path) -> None:
    path = _letter(tmp_path / "letter.pdf", (144, 144, 468, 500))
    assert not RenderOptions().crop_margins
    reader, layout = open_layout(path)
    (page,) = plan_pages(layout)
    image = reader.render(page, False)
    reader.close()
    assert layout.content_boxes == () and layout.page_sizes == (LETTER_200_DPI,)
    assert (image.width, image.height, image.crop) == (page.width, page.height, None)
    # Resume keys of runs without the option are unchanged; with it, pages are asked again.
    assert options_version("pixtral", RenderOptions()) == options_version(
        "pixtral", RenderOptions(crop_margins=False)
    )
    assert options_version("pixtral", RenderOptions()) != options_version("pixtral", CROP)


@pytest.mark.parametrize("crop", [True, False])
def test_the_rows_crop_column_read_back_with_polars(tmp_path: Path, crop: bool) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _letter(folder / "letter.pdf", (144, 144, 468, 500))
    _letter(folder / "full.pdf", (12, 12, 600, 780))
    with ChatServer() as server:
        run(
            [folder],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            text_layer="off",
            crop_margins=crop,
        )
    rows = {Path(r["source"]).name: r for r in read_pages(tmp_path / "out").to_dicts()}
    assert [rows[name]["status"] for name in ("full.pdf", "letter.pdf")] == ["ok", "ok"]
    assert rows["full.pdf"]["crop"] is None
    letter = rows["letter.pdf"]["crop"]
    if not crop:
        assert letter is None
        return
    assert set(letter) == {"x0", "y0", "x1", "y1"}
    assert 0.18 < letter["x0"] < letter["x1"] < 0.82 and 0.14 < letter["y0"] < letter["y1"] < 0.66


def test_a_cropped_page_costs_no_more_than_its_whole_page_with_whole_sizes() -> None:
    """A near-square content box would fill the profile's longest side on its own."""
    profile, whole, box = PixtralProfile(), LETTER_200_DPI, (1300, 1300)
    (alone,), _ = size_pages([box], [1], profile, 100_000)
    (capped,), _ = size_pages([box], [1], profile, 100_000, whole_sizes=[whole])
    (page,), _ = size_pages([whole], [1], profile, 100_000)
    assert alone.image_tokens > page.image_tokens >= capped.image_tokens
    assert capped.width > page.width  # and the text still gets more pixels
