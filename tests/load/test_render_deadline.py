"""A page MuPDF draws for ever: its worker is killed at the render deadline, the page is an
error row, every other page is drawn, and the run ends."""

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
from chat_server import ChatServer
from environment import without_endpoint_settings
from hostile_files import write_endless_pdf
from markers import make_marked_image, make_marked_pdf
from repo_paths import REPO

from extractors.errors import SourceError
from extractors.load.identify import identify
from extractors.load.rasteriser import Rasteriser
from extractors.options import RasterOptions, RenderOptions
from extractors.plan.profiles.pixtral import PixtralProfile
from extractors.plan.sizing import size_page
from extractors.records import PlannedPage, RenderedImage

PROFILE = PixtralProfile()


def _planned(sizes: tuple[tuple[int, int], ...]) -> list[PlannedPage]:
    return [size_page(n, w, h, PROFILE, 100_000) for n, (w, h) in enumerate(sizes, start=1)]


def test_a_page_past_the_deadline_is_an_error_and_its_worker_is_replaced(tmp_path: Path) -> None:
    endless = identify(write_endless_pdf(tmp_path / "endless.pdf"))
    make_marked_pdf(tmp_path / "doc.pdf", 1, 6)
    good = identify(tmp_path / "doc.pdf")
    options = RasterOptions(render=RenderOptions(render_timeout=2.0), workers=2)

    async def go() -> tuple[list[RenderedImage | SourceError], ...]:
        rasteriser = Rasteriser(options)
        try:
            endless_layout = await rasteriser.layout(endless)  # reading its size is quick
            good_layout = await rasteriser.layout(good)
            drawn = await asyncio.gather(
                rasteriser.render(endless, _planned(endless_layout.page_sizes), False),
                rasteriser.render(good, _planned(good_layout.page_sizes), False),
            )
            assert rasteriser.restarts >= 1
            after = await rasteriser.render(good, _planned(good_layout.page_sizes[:2]), False)
            return (*drawn, after)
        finally:
            rasteriser.close()

    stuck, pages, after = asyncio.run(go())
    assert [str(page) for page in stuck] == ["rendering took longer than 2 s"]
    assert all(isinstance(page, RenderedImage) for page in pages) and len(pages) == 6
    assert all(isinstance(page, RenderedImage) for page in after)


def test_an_endless_page_among_the_first_files_does_not_stop_the_run(tmp_path: Path) -> None:
    """It is the first file: once it was drawn on a thread of the run's own process, which
    then answered nothing and wrote no row. The run is a process of its own, so that a
    regression fails on the timeout below instead of hanging the suite."""
    folder = tmp_path / "in"
    folder.mkdir()
    write_endless_pdf(folder / "a_endless.pdf")
    make_marked_pdf(folder / "doc_1.pdf", 1, 3)
    for n in (2, 3):
        make_marked_image(folder / f"img_{n}.png", n)
    with ChatServer() as server:
        arguments = {
            "inputs": [str(folder)],
            "out": str(tmp_path / "out"),
            "base_url": server.base_url,
            "model": "m",
            "render_timeout": 2,
        }
        done = subprocess.run(
            [sys.executable, str(REPO / "tests" / "extraction_runner.py"), json.dumps(arguments)],
            cwd=REPO,
            env=without_endpoint_settings(),
            capture_output=True,
            text=True,
            timeout=150,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = pl.read_parquet(str(tmp_path / "out" / "pages" / "*.parquet")).sort("source", "page")
    stuck = rows.filter(pl.col("status") == "error")
    assert stuck.select("source", "page", "error", "error_category").rows() == [
        (str(folder / "a_endless.pdf"), 1, "rendering took longer than 2 s", "source")
    ]
    assert rows.filter(pl.col("status") == "ok").height == 5  # 3 PDF pages and 2 images
