"""Rendering on worker processes: the pages a thread draws, crashes isolated, small chunks
first, pages before layouts."""

import asyncio
import io
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path

import polars as pl
import pymupdf
import pytest
from chat_server import ChatServer
from harness import run
from markers import encode_value, make_marked_image, make_marked_pdf, read_marker
from PIL import Image

from extractors.errors import SourceError
from extractors.load.identify import identify
from extractors.load.rasteriser import Rasteriser
from extractors.load.worker_start import WorkersDidNotStart
from extractors.options import RasterOptions
from extractors.plan.profiles.pixtral import PixtralProfile
from extractors.plan.sizing import size_page
from extractors.records import PlannedPage, RenderedImage, SourceFile

PROFILE = PixtralProfile()


def _planned(sizes: Sequence[tuple[int, int]]) -> list[PlannedPage]:
    return [size_page(n, w, h, PROFILE, 100_000) for n, (w, h) in enumerate(sizes, start=1)]


async def _render_all(
    rasteriser: Rasteriser, source: SourceFile
) -> list[RenderedImage | SourceError]:
    layout = await rasteriser.layout(source)
    return await rasteriser.render(source, _planned(layout.page_sizes), False)


def _render_with(workers: int, source: SourceFile) -> list[RenderedImage | SourceError]:
    async def go() -> list[RenderedImage | SourceError]:
        rasteriser = Rasteriser(RasterOptions(workers=workers))
        try:
            await rasteriser.wait_started()
            return await _render_all(rasteriser, source)
        finally:
            rasteriser.close()

    return asyncio.run(go())


def test_worker_processes_draw_the_same_pages_as_a_thread(tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "doc.pdf", 3, 14)
    make_marked_image(tmp_path / "photo.jpg", 5, 1, size=(1500, 2000))
    for name in ("doc.pdf", "photo.jpg"):
        source = identify(tmp_path / name)
        on_processes = _render_with(2, source)
        on_a_thread = _render_with(0, source)
        assert on_processes == on_a_thread  # byte for byte, page for page, in order
        assert all(isinstance(page, RenderedImage) for page in on_processes)
    drawn = _render_with(2, identify(tmp_path / "doc.pdf"))
    values = [read_marker(Image.open(io.BytesIO(page.data))) for page in drawn]  # type: ignore[union-attr]
    assert values == [encode_value(3, n) for n in range(1, 15)]


def test_unreadable_files_and_pages_come_back_as_errors(tmp_path: Path) -> None:
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    make_marked_pdf(tmp_path / "doc.pdf", 1, 2)

    async def go() -> None:
        rasteriser = Rasteriser(RasterOptions(workers=2))
        try:
            with pytest.raises(SourceError, match=r"cannot open PDF|no pages"):
                await rasteriser.layout(identify(tmp_path / "broken.pdf"))
            source = identify(tmp_path / "doc.pdf")
            await rasteriser.layout(source)
            beyond = PlannedPage(page=9, width=100, height=120, image_tokens=80)
            drawn = await rasteriser.render(source, [*_planned([(100, 120)]), beyond], False)
            assert isinstance(drawn[0], RenderedImage)
            assert isinstance(drawn[1], SourceError) and "page 9" in str(drawn[1])
        finally:
            rasteriser.close()

    asyncio.run(go())


def test_encrypted_pdf_opens_on_workers_with_the_password(tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "plain.pdf", 2, 2)
    with pymupdf.open(str(tmp_path / "plain.pdf")) as document:
        document.save(
            str(tmp_path / "locked.pdf"),
            encryption=pymupdf.PDF_ENCRYPT_AES_256,
            user_pw="s3cret",
            owner_pw="owner",
        )
    source = identify(tmp_path / "locked.pdf")

    async def go(password: str | None) -> list[RenderedImage | SourceError]:
        rasteriser = Rasteriser(RasterOptions(password=password, workers=2))
        try:
            return await _render_all(rasteriser, source)
        finally:
            rasteriser.close()

    with pytest.raises(SourceError, match="password is needed"):
        asyncio.run(go(None))
    assert all(isinstance(page, RenderedImage) for page in asyncio.run(go("s3cret")))


def test_a_call_that_kills_its_worker_fails_alone(tmp_path: Path) -> None:
    """A renderer crash breaks the whole process pool: every call waiting on it fails. Each is
    run again alone, so only the one that kills its process ends in an error."""
    make_marked_pdf(tmp_path / "doc.pdf", 7, 24)
    source = identify(tmp_path / "doc.pdf")

    async def go() -> None:
        rasteriser = Rasteriser(RasterOptions(workers=2))
        try:
            await rasteriser.wait_started()
            layout = await rasteriser.layout(source)
            pages = _planned(layout.page_sizes)
            drawing = asyncio.ensure_future(rasteriser.render(source, pages, False))
            await asyncio.sleep(0.01)
            with pytest.raises(BrokenProcessPool):
                await rasteriser._call(0, partial(os._exit, 3))  # a worker dies mid-run
            drawn = await drawing
            values = [read_marker(Image.open(io.BytesIO(p.data))) for p in drawn]  # type: ignore[union-attr]
            assert values == [encode_value(7, n) for n in range(1, 25)]
            assert rasteriser.restarts >= 1
            after = await rasteriser.render(source, pages[:2], False)  # the new pool works
            assert all(isinstance(page, RenderedImage) for page in after)
        finally:
            rasteriser.close()

    asyncio.run(go())


def test_the_smaller_chunk_is_drawn_first(tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "long.pdf", 1, 12)
    make_image = tmp_path / "single.png"
    make_marked_image(make_image, 2)
    finished: list[str] = []

    async def go() -> None:
        rasteriser = Rasteriser(RasterOptions(workers=1))
        try:
            await rasteriser.wait_started()
            long_source, single_source = identify(tmp_path / "long.pdf"), identify(make_image)
            long_layout = await rasteriser.layout(long_source)
            single_layout = await rasteriser.layout(single_source)

            async def draw(name: str, source: SourceFile, sizes: list[tuple[int, int]]) -> None:
                await rasteriser.render(source, _planned(sizes), False)
                finished.append(name)

            long_chunk = asyncio.ensure_future(
                draw("twelve pages", long_source, list(long_layout.page_sizes))
            )
            await asyncio.sleep(0)  # the long chunk asks first
            await asyncio.gather(
                long_chunk, draw("one page", single_source, list(single_layout.page_sizes))
            )
        finally:
            rasteriser.close()

    asyncio.run(go())
    assert finished == ["one page", "twelve pages"]


def test_a_page_is_drawn_before_the_layouts_asked_before_it(tmp_path: Path) -> None:
    """A drawn page lets a request go now; a layout only plans later ones (issue 14)."""
    sources = []
    for index in range(6):
        make_marked_pdf(tmp_path / f"doc{index}.pdf", 10 * index, 1)
        sources.append(identify(tmp_path / f"doc{index}.pdf"))
    gate = tmp_path / "gate"
    # Holds a worker's call until the gate file exists: every call below is waiting by then,
    # so the order they are handed over in is the rasteriser's choice, not the machine's speed.
    hold = partial(subprocess.run, ["sh", "-c", f"while [ ! -e '{gate}' ]; do sleep 0.01; done"])
    finished: list[str] = []

    async def go() -> None:
        rasteriser = Rasteriser(RasterOptions(workers=1))  # two calls handed over at once
        try:
            await rasteriser.wait_started()
            first = await rasteriser.layout(sources[0])
            held = [asyncio.ensure_future(rasteriser._call(0, hold)) for _ in range(2)]

            async def lay_out(index: int) -> None:
                await rasteriser.layout(sources[index])
                finished.append(f"layout {index}")

            async def draw() -> None:
                await rasteriser.render(sources[0], _planned(first.page_sizes), False)
                finished.append("page")

            layouts = [asyncio.ensure_future(lay_out(index)) for index in range(1, 6)]
            await asyncio.sleep(0)  # the five layouts ask first
            drawing = asyncio.ensure_future(draw())
            while len(rasteriser._waiting) < 6:  # five layouts and the page, behind the holds
                await asyncio.sleep(0.01)
            gate.touch()
            await asyncio.gather(*held, *layouts, drawing)
        finally:
            rasteriser.close()

    asyncio.run(go())
    assert sorted(finished) == sorted(["page"] + [f"layout {i}" for i in range(1, 6)])
    # The page is handed over first; only the layout handed over right after it can be seen
    # to end first (its result reaches this coroutine in fewer steps). Layouts first: last.
    assert finished.index("page") <= 1, finished


def test_pymupdf_loads_without_its_layout_model() -> None:
    """PyMuPDF 2.0 loads an ONNX layout model at import when it is installed (0.43 s, 55 MB in
    every process); extractors keeps it out."""
    code = (
        "import sys, extractors.load.rasteriser; "
        "print(sys.modules.get('pymupdf.layout') is not None, 'pymupdf' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True"]


def test_a_run_gives_the_same_rows_on_one_process_and_on_two(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    make_marked_pdf(inputs / "doc_1.pdf", 1, 13)
    make_marked_image(inputs / "img_2.png", 2)
    (inputs / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    tables = {}
    with ChatServer() as server:
        for workers in (1, 2):
            out = tmp_path / f"out-{workers}"
            _, session = run(
                [inputs], out, base_url=server.base_url, model="m", render_workers=workers
            )
            assert session.rasteriser.workers == workers
            tables[workers] = (
                pl.read_parquet(str(out / "pages" / "*.parquet"))
                .select("source", "page", "status", "text", "width", "height", "image_tokens")
                .sort("source", "page")
            )
    assert tables[1].equals(tables[2])
    assert tables[2]["status"].to_list().count("ok") == 14


def test_closing_at_once_after_start_raises_in_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that ends as soon as it starts (nothing to do, a bad option) closes the pool while
    its start-up thread may still be about to submit to it."""
    raised: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
    for _ in range(10):
        rasteriser = Rasteriser(RasterOptions(workers=2))
        rasteriser.start()
        rasteriser.close()
        starting = rasteriser._start.thread
        assert starting is not None
        starting.join()
    assert raised == []


def test_nothing_is_submitted_from_the_event_loop_while_the_workers_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool spawns workers under a lock inside `submit`: a page submitted from the event
    loop while they start would hold the loop (and every request of the run) until they are."""
    make_marked_pdf(tmp_path / "doc.pdf", 1, 3)
    source = identify(tmp_path / "doc.pdf")
    rasteriser = Rasteriser(RasterOptions(workers=2))
    submits: list[tuple[str, bool]] = []
    original = ProcessPoolExecutor.submit

    def recorded(executor: ProcessPoolExecutor, *args: object, **kwargs: object) -> object:
        submits.append((threading.current_thread().name, rasteriser._start.up.is_set()))
        return original(executor, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ProcessPoolExecutor, "submit", recorded)

    async def first_pages() -> list[RenderedImage | SourceError]:
        try:
            return await _render_all(rasteriser, source)  # starts the workers itself
        finally:
            rasteriser.close()

    drawn = asyncio.run(first_pages())
    assert [
        read_marker(Image.open(io.BytesIO(d.data))) for d in drawn if isinstance(d, RenderedImage)
    ] == [encode_value(1, p) for p in (1, 2, 3)]
    from_loop = [up for thread, up in submits if thread == threading.main_thread().name]
    assert len(from_loop) == 4 and all(from_loop)  # the layout and 3 pages, once workers are up
    assert [up for thread, up in submits if thread == "rasterise-start"] == [False, False]


def test_workers_that_cannot_start_fail_the_calls_that_wait_for_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pool that cannot spawn (here: refused in the start-up thread) must not leave the
    run's pages waiting for workers that will never come."""
    make_marked_pdf(tmp_path / "doc.pdf", 1, 1)
    source = identify(tmp_path / "doc.pdf")
    original = ProcessPoolExecutor.submit

    def refused(executor: ProcessPoolExecutor, *args: object, **kwargs: object) -> object:
        if threading.current_thread().name == "rasterise-start":
            raise RuntimeError("cannot spawn here\nsecond line")
        return original(executor, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ProcessPoolExecutor, "submit", refused)

    async def lay_out() -> None:
        rasteriser = Rasteriser(RasterOptions(workers=2))
        try:
            # A hang would outlast this bound by far; the failure comes back at once.
            await asyncio.wait_for(rasteriser.layout(source), timeout=120)
        finally:
            rasteriser.close()

    with pytest.raises(WorkersDidNotStart, match=r"RuntimeError: cannot spawn here$"):
        asyncio.run(lay_out())
