"""A blank page gets an ok row with no text, warned `blank page`, and no request; with
`--keep-blank` it is sent like any other."""

from pathlib import Path

import pymupdf
from chat_server import ChatServer
from harness import run
from markers import draw_marker_pdf_page, encode_value
from page_checks import read_pages


def _duplex(path: Path) -> None:
    """Four pages: marked fronts at 1 and 3, an empty back at 2, a back with a page number 4."""
    doc = pymupdf.open()
    for page in range(1, 5):
        sheet = doc.new_page(width=612, height=792)
        if page % 2:
            draw_marker_pdf_page(sheet, encode_value(3, page))
        elif page == 4:
            sheet.insert_text((300, 770), "4", fontsize=9)
    doc.save(str(path))


def _run(tmp_path: Path, *, keep: bool) -> tuple[list[int], list[dict[str, object]]]:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    _duplex(folder / "duplex.pdf")
    out = tmp_path / ("kept" if keep else "out")
    with ChatServer() as server:
        # Every page drawn, as a scan's would be (page 4's "4" is no text layer to read).
        options = {"max_images": 1, "keep_blank": keep, "text_layer": "off"}
        run([folder], out, base_url=server.base_url, model="m", **options)
        sent = sorted(n for r in server.requests for n in [r.n_images])
    return sent, read_pages(out).sort("page").to_dicts()


def test_blank_backs_are_answered_without_a_request(tmp_path: Path) -> None:
    sent, rows = _run(tmp_path, keep=False)
    assert sent == [1, 1]  # the two fronts
    assert [r["status"] for r in rows] == ["ok"] * 4
    backs = [r for r in rows if r["page"] in (2, 4)]
    for back in backs:
        assert back["text"] == "" and back["text_source"] == "blank"
        assert back["warnings"] == ["blank page"] and back["request_id"] is None
        assert back["attempts"] == 0 and back["width"] and back["height"]
    fronts = [r for r in rows if r["page"] in (1, 3)]
    assert all(r["text_source"] == "model" and not r["warnings"] for r in fronts)


def test_keep_blank_sends_them(tmp_path: Path) -> None:
    sent, rows = _run(tmp_path, keep=True)
    assert sent == [1, 1, 1, 1]
    assert all(r["text_source"] == "model" for r in rows)
