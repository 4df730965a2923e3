"""A rerun on the same DIR copies the rows earlier runs answered for an identical image, as a
run copies its own (`extractors/document/set_aside.py`, `extractors/sink/answered_images.py`):
each row keeps its image's digest, `image_sha256`."""

import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import fsspec
import polars as pl
import pyarrow.parquet as pq
import pymupdf
import pytest
from chat_server import ChatServer
from harness import run
from markers import draw_marker_pdf_page, encode_value

from extractors.records import RowContext
from extractors.sink.answered_images import StoredAnswers
from extractors.sink.store import DatasetStore
from schemas import PAGE_ROW_ARROW_SCHEMA

COVER = encode_value(99, 1)


def _pdf(path: Path, markers: list[int]) -> None:
    doc = pymupdf.open()
    for marker in markers:
        draw_marker_pdf_page(doc.new_page(width=612, height=792), marker)
    doc.save(str(path))


def _run(inputs: Path, out: Path, **options: Any) -> Counter[int | None]:
    """One run, a page a request; the marker of every page the endpoint was asked for."""
    with ChatServer() as server:
        run(
            [inputs],
            out,
            base_url=server.base_url,
            model="pixtral-12b-2409",
            concurrency=1,
            max_images=1,
            **options,
        )
        return Counter(value for request in server.requests for value in request.marker_values)


def _read(out: Path) -> list[dict[str, Any]]:
    """Every row, a part written before a column existed reading it as null."""
    store = DatasetStore.at(out / "pages")
    return store.scan(store.parts(), schema=PAGE_ROW_ARROW_SCHEMA).collect().to_dicts()


def _rows(out: Path) -> dict[tuple[str, int], dict[str, Any]]:
    """Every row by its file's name and page (one row each: the names are distinct)."""
    rows = _read(out)
    by_page = {(Path(r["source"]).name, r["page"]): r for r in rows}
    assert len(by_page) == len(rows), sorted((r["source"], r["page"]) for r in rows)
    return by_page


@pytest.fixture(scope="module")
def answered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`in/a.pdf` (a cover sheet, then a page of its own) answered into `out/` once."""
    root = tmp_path_factory.mktemp("answered")
    (root / "in").mkdir()
    _pdf(root / "in" / "a.pdf", [COVER, encode_value(1, 2)])
    assert _run(root / "in", root / "out") == Counter([COVER, encode_value(1, 2)])
    return root


def _first_run(tmp_path: Path, answered: Path) -> tuple[Path, Path]:
    """A copy of that first run's folder and DIR; then `b.pdf` (the same cover sheet, then a
    page of its own) arrives in the folder."""
    folder, out = tmp_path / "in", tmp_path / "out"
    shutil.copytree(answered / "in", folder)
    shutil.copytree(answered / "out", out)
    _pdf(folder / "b.pdf", [COVER, encode_value(2, 2)])
    return folder, out


def test_a_rerun_copies_the_row_an_earlier_run_answered_for_the_same_image(
    tmp_path: Path, answered: Path
) -> None:
    folder, out = _first_run(tmp_path, answered)
    first = _rows(out)
    assert all(len(row["image_sha256"]) == 64 for row in first.values())
    # b.pdf alone (a.pdf's rows were written from another folder): its cover is not asked.
    assert _run(folder / "b.pdf", out) == Counter([encode_value(2, 2)])
    rows = _rows(out)
    assert len(rows) == 4 and all(row["status"] == "ok" for row in rows.values())
    original, copy = rows[("a.pdf", 1)], rows[("b.pdf", 1)]
    assert original == first[("a.pdf", 1)]
    assert copy["warnings"][-1].startswith(f"same image as {original['source']} page 1")
    assert copy["text"] == original["text"] and copy["request_id"] is None
    assert copy["image_sha256"] == original["image_sha256"]
    assert copy["attempts"] == 0 and copy["prompt_tokens"] is None
    assert rows[("b.pdf", 2)]["image_sha256"] not in (None, original["image_sha256"])


def test_keep_duplicates_asks_a_page_answered_by_an_earlier_run(
    tmp_path: Path, answered: Path
) -> None:
    folder, out = _first_run(tmp_path, answered)
    asked = _run(folder / "b.pdf", out, keep_duplicates=True)
    assert asked == Counter([COVER, encode_value(2, 2)])
    assert not _rows(out)[("b.pdf", 1)]["warnings"]


def test_an_answer_to_another_prompt_is_not_copied(tmp_path: Path, answered: Path) -> None:
    folder, out = _first_run(tmp_path, answered)
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("Transcribe the page; keep its line breaks.")
    # b.pdf alone: its cover's only answer in DIR was to other instructions.
    asked = _run(folder / "b.pdf", out, prompt_file=str(prompt))
    assert asked == Counter([COVER, encode_value(2, 2)])
    rows = _rows(out)
    assert not rows[("b.pdf", 1)]["warnings"]
    assert rows[("b.pdf", 1)]["prompt_version"] != rows[("a.pdf", 1)]["prompt_version"]


def test_a_dataset_written_before_image_digests_resumes_and_asks_the_repeat(
    tmp_path: Path, answered: Path
) -> None:
    folder, out = _first_run(tmp_path, answered)
    for part in (out / "pages").glob("part-*.parquet"):  # as a run of an older version wrote
        pq.write_table(pq.read_table(part).drop_columns(["image_sha256"]), part)
    assert _run(folder / "b.pdf", out) == Counter([COVER, encode_value(2, 2)])
    rows = _rows(out)
    assert len(rows) == 4 and all(row["status"] == "ok" for row in rows.values())
    assert rows[("a.pdf", 1)]["image_sha256"] is None  # read back as null, not rewritten
    assert not rows[("b.pdf", 1)]["warnings"]
    assert rows[("b.pdf", 1)]["image_sha256"] is not None


def test_a_rerun_remembers_only_the_newest_answered_images(tmp_path: Path, answered: Path) -> None:
    _, out = _first_run(tmp_path, answered)
    rows = sorted(_read(out), key=lambda row: row["extracted_at"])
    context = _context_of(rows[0])
    stored = StoredAnswers(DatasetStore.at(out / "pages"), PAGE_ROW_ARROW_SCHEMA, context, 1)
    newest = stored.newest
    assert [(digest.hex(), where.page) for digest, where in newest] == [
        (rows[-1]["image_sha256"], rows[-1]["page"])
    ]
    digest, where = newest[0]
    copied = stored.row(digest, where)
    assert copied is not None and copied.text == rows[-1]["text"]
    assert len(StoredAnswers.at(out / "pages", PAGE_ROW_ARROW_SCHEMA, context).newest) == 2
    other = replace(context, model="other")
    assert StoredAnswers.at(out / "pages", PAGE_ROW_ARROW_SCHEMA, other).newest == ()
    assert pl.DataFrame(rows)["image_sha256"].n_unique() == 2


def _context_of(row: dict[str, Any]) -> RowContext:
    return RowContext(
        "rerun",
        row["model"],
        row["provider"],
        row["schema_name"],
        row["schema_version"],
        row["prompt_version"],
        row["options_version"],
    )


def test_a_remote_dir_remembers_its_answered_images_too(tmp_path: Path, answered: Path) -> None:
    """Through fsspec: each image found in its part, none in a part written without digests."""
    _, out = _first_run(tmp_path, answered)
    (part,) = (out / "pages").glob("part-*.parquet")
    table = pq.read_table(part)
    fs = fsspec.filesystem("memory")
    for name, written in (("old", table.drop_columns(["image_sha256"])), ("new", table)):
        with fs.open(f"/answered-images/pages/part-{name}.parquet", "wb") as handle:
            pq.write_table(written, handle)
    rows = _read(out)
    try:
        stored = StoredAnswers.at(
            "memory://answered-images/pages", PAGE_ROW_ARROW_SCHEMA, _context_of(rows[0])
        )
        assert sorted(digest.hex() for digest, _ in stored.newest) == sorted(
            row["image_sha256"] for row in rows
        )
        for digest, where in stored.newest:
            assert where.part.endswith("part-new.parquet")
            copied = stored.row(digest, where)
            assert copied is not None and copied.image_sha256 == digest.hex()
    finally:
        fs.rm("/answered-images", recursive=True)
