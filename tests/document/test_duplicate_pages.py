"""A page whose image this run has answered already is not asked again: its row is copied,
warned with the page it copies (`extractors/document/set_aside.py`)."""

from pathlib import Path

import pymupdf
from chat_server import ChatServer
from harness import run
from markers import draw_marker_pdf_page, encode_value
from page_checks import read_pages

COVER = encode_value(99, 1)


def _with_covers(path: Path) -> None:
    """14 pages: a cover sheet at pages 1, 12 and 14, every other page its own."""
    doc = pymupdf.open()
    for page in range(1, 15):
        marker = COVER if page in (1, 12, 14) else encode_value(7, page)
        draw_marker_pdf_page(doc.new_page(width=612, height=792), marker)
    doc.save(str(path))


def _run(folder: Path, out: Path, *, keep: bool) -> tuple[int, list[dict[str, object]]]:
    # One page a request, one at a time: page 12 is drawn long after page 1 was answered.
    with ChatServer(latency=0.05) as server:
        run(
            [folder],
            out,
            base_url=server.base_url,
            model="pixtral-12b-2409",
            concurrency=1,
            max_images=1,
            keep_duplicates=keep,
        )
        requests = len(server.requests)
    rows = read_pages(out).sort("page").to_dicts()
    return requests, rows


def test_a_repeated_cover_sheet_is_asked_once_and_its_copies_say_so(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _with_covers(folder / "filing.pdf")
    requests, rows = _run(folder, tmp_path / "out", keep=False)
    assert requests == 12  # 14 pages, two of them copies of page 1
    assert [r["status"] for r in rows] == ["ok"] * 14
    copies = {r["page"]: r for r in rows if r["request_id"] is None}
    assert sorted(copies) == [12, 14]
    first = rows[0]
    for copy in copies.values():
        assert copy["text"] == first["text"] and copy["text_source"] == first["text_source"]
        assert copy["warnings"][-1].startswith(f"same image as {first['source']} page 1")
        assert copy["attempts"] == 0 and copy["prompt_tokens"] is None
    assert all(not r["warnings"] for r in rows if r["page"] not in copies)


def test_keep_duplicates_sends_every_page(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _with_covers(folder / "filing.pdf")
    requests, rows = _run(folder, tmp_path / "out", keep=True)
    assert requests == 14
    assert all(r["request_id"] is not None for r in rows)


def test_the_run_remembers_only_the_latest_answered_images() -> None:
    from extractors.document.set_aside import AnsweredImages
    from extractors.records import RenderedImage, SourceFile
    from schemas import PageRow, RowStatus

    source = SourceFile("/in/a.pdf", "0" * 64, "pdf")
    remembered = AnsweredImages(remembered=2)
    images = [RenderedImage(n, 10, 10, "image/jpeg", bytes([n])) for n in (1, 2, 3)]
    for image in images:
        assert remembered.original_of(source, image) is None  # drawn, sent
        row = PageRow.model_construct(source=source.path, page=image.page, status=RowStatus.OK)
        remembered.finished([row])
    again = [remembered.original_of(source, image) for image in images]
    assert [row.page if row else None for row in again] == [None, 2, 3]
