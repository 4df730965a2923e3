"""A damaged part file in DIR (truncated, empty, foreign) is moved aside and its pages redone."""

import logging
import subprocess
import sys
from pathlib import Path

import fsspec
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from chat_server import ChatServer
from environment import without_endpoint_settings
from harness import run
from markers import make_marked_image
from page_checks import assert_every_page_once_ok
from repo_paths import REPO

from extractors.sink.quarantine import QUARANTINE, quarantine_unreadable
from extractors.sink.store import part_files
from schemas import PAGE_ROW_ARROW_SCHEMA


def _inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for index in range(1, 7):
        make_marked_image(folder / f"img_{index}.png", index, size=(200, 260))
    return folder


def _truncate(pages: Path) -> tuple[str, set[int]]:
    """Cut the first part short as a disk fault would; its name and the documents it held."""
    part = part_files(pages)[0]
    held = {int(Path(s).stem.split("_")[1]) for s in pl.read_parquet(part)["source"]}
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    return part.name, held


def _empty(pages: Path) -> tuple[str, set[int]]:
    (pages / "part-empty-00001.parquet").write_bytes(b"")
    return "part-empty-00001.parquet", set()


def _foreign(pages: Path) -> tuple[str, set[int]]:
    table = pa.table({"invoice_no": ["A-1"], "amount": [12.5]})
    pq.write_table(table, pages / "part-foreign-00001.parquet")
    return "part-foreign-00001.parquet", set()


@pytest.mark.parametrize("damage", [_truncate, _empty, _foreign], ids=lambda d: d.__name__)
def test_a_damaged_part_is_moved_aside_named_and_its_pages_extracted_again(
    damage: object, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inputs, out = _inputs(tmp_path), tmp_path / "out"
    with ChatServer() as server:
        # Two rows a part: a truncated part costs only its own pages.
        run([inputs], out, base_url=server.base_url, model="m", flush_rows=2)
        assert callable(damage)
        name, held = damage(out / "pages")
        server.reset_stats()
        with caplog.at_level(logging.WARNING, logger="extractors.sink.quarantine"):
            run([inputs], out, base_url=server.base_url, model="m")
        asked_again = {value // 256 for r in server.requests for value in r.marker_values or []}
    assert asked_again == held
    assert (out / QUARANTINE / name).exists() and not (out / "pages" / name).exists()
    lines = [r.getMessage() for r in caplog.records if name in r.getMessage()]
    assert len(lines) == 1 and f"moved to {out / QUARANTINE / name}" in lines[0]
    assert_every_page_once_ok(out, 6)


def test_the_cli_says_in_one_line_which_part_it_moved_aside(tmp_path: Path) -> None:
    inputs, out = _inputs(tmp_path), tmp_path / "out"
    (out / "pages").mkdir(parents=True)
    name, _ = _foreign(out / "pages")
    with ChatServer() as server:
        completed = subprocess.run(
            [
                *(sys.executable, "-m", "flows", "run", str(inputs), "--out", str(out)),
                *("--base-url", server.base_url, "--model", "m"),
            ],
            cwd=REPO,
            env=without_endpoint_settings(),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert completed.returncode == 0, completed.stderr[-2000:]
    said = [line for line in completed.stderr.splitlines() if name in line]
    assert len(said) == 1 and "moved to" in said[0], completed.stderr[-2000:]
    assert "Traceback" not in completed.stderr
    assert_every_page_once_ok(out, 6)


def test_a_damaged_part_in_a_remote_dir_is_moved_aside_too() -> None:
    fs = fsspec.filesystem("memory")
    fs.pipe("/quarantine-test/out/pages/part-empty-00001.parquet", b"")
    moved = quarantine_unreadable("memory://quarantine-test/out/pages", PAGE_ROW_ARROW_SCHEMA)
    assert moved == ["/quarantine-test/out/quarantine/part-empty-00001.parquet"]
    assert fs.exists(moved[0]) and not fs.glob("/quarantine-test/out/pages/part-*")
    fs.rm("/quarantine-test", recursive=True)
