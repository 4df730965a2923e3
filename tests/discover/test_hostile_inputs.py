"""Inputs that are not plain files in readable folders: FIFOs, sockets, unlistable folders,
names that are not UTF-8, one folder given twice, the output inside or equal to an input."""

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from chat_server import ChatServer
from harness import run
from markers import make_marked_image, make_marked_pdf

from extractors.discover.files import discover
from extractors.discover.local_walk import RefusedInput
from extractors.options import DiscoveryOptions


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer() as srv:
        yield srv


def _rows(out: Path) -> pl.DataFrame:
    return pl.read_parquet(str(out / "pages" / "*.parquet")).sort("source", "page")


def test_a_fifo_is_refused_by_stat_without_being_opened(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"x")
    os.mkfifo(tmp_path / "pipe.pdf")  # open() would block until a writer comes: never
    found = list(discover([tmp_path]))
    assert found == [
        str(tmp_path / "a.png"),
        RefusedInput(str(tmp_path / "pipe.pdf"), "not a regular file: FIFO"),
    ]
    given = list(discover([tmp_path / "pipe.pdf"]))
    assert given == [RefusedInput(str(tmp_path / "pipe.pdf"), "not a regular file: FIFO")]


def test_a_socket_is_refused_and_globs_still_apply(tmp_path: Path) -> None:
    listener = socket.socket(socket.AF_UNIX)
    try:
        listener.bind(str(tmp_path / "s.sock"))
        os.mkfifo(tmp_path / "skipped.txt")
        found = list(discover([tmp_path], options=DiscoveryOptions(include=("*.sock",))))
    finally:
        listener.close()
    assert found == [RefusedInput(str(tmp_path / "s.sock"), "not a regular file: socket")]


def test_a_fifo_among_documents_becomes_an_error_row_and_the_run_ends(
    tmp_path: Path, server: ChatServer
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_image(folder / "img_1.png", 1)
    os.mkfifo(folder / "pipe.pdf")
    run([folder], tmp_path / "out", base_url=server.base_url, model="m")
    rows = _rows(tmp_path / "out")
    assert rows.select("source", "status", "error").to_dicts() == [
        {"source": str(folder / "img_1.png"), "status": "ok", "error": None},
        {
            "source": str(folder / "pipe.pdf"),
            "status": "error",
            "error": "not a regular file: FIFO",
        },
    ]
    assert rows["error_category"].to_list() == [None, "source"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists a chmod 000 folder anyway")
def test_a_folder_without_read_permission_is_an_error_row(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.pdf").write_bytes(b"x")
    locked.chmod(0)
    try:
        found = list(discover([tmp_path]))
    finally:
        locked.chmod(0o755)
    assert found == [RefusedInput(str(locked), "cannot list folder: Permission denied")]


def test_a_folder_that_cannot_be_listed_is_an_error_row_not_silence(tmp_path: Path) -> None:
    """Works as root too: the folder goes away between its parent's listing and its own."""
    (tmp_path / "a.pdf").write_bytes(b"x")
    (tmp_path / "gone").mkdir()
    (tmp_path / "gone" / "b.pdf").write_bytes(b"x")
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "c.pdf").write_bytes(b"x")
    walk = discover([tmp_path])
    assert next(walk) == str(tmp_path / "a.pdf")  # the parent is listed: `gone` is in it
    shutil.rmtree(tmp_path / "gone")
    assert list(walk) == [
        RefusedInput(str(tmp_path / "gone"), "cannot list folder: No such file or directory"),
        str(tmp_path / "kept" / "c.pdf"),
    ]


def test_a_link_to_a_folder_is_said_not_dropped(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.pdf").write_bytes(b"x")
    (tmp_path / "zlink").symlink_to(tmp_path / "real")
    assert list(discover([tmp_path])) == [
        RefusedInput(str(tmp_path / "zlink"), "a link to a folder (links are not followed)"),
        str(tmp_path / "real" / "a.pdf"),
    ]


def test_one_folder_given_relative_and_absolute_is_walked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.pdf").write_bytes(b"x")
    (tmp_path / "in" / "b.pdf").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    found = list(discover(["in", str(tmp_path / "in"), "./in/a.pdf", "in/../in"]))
    assert found == [str(tmp_path / "in" / "a.pdf"), str(tmp_path / "in" / "b.pdf")]


def test_duplicate_inputs_give_one_row_per_page(
    tmp_path: Path, server: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "in").mkdir()
    make_marked_pdf(tmp_path / "in" / "doc_1.pdf", 1, 3)
    monkeypatch.chdir(tmp_path)
    run(["in", tmp_path / "in"], "out", base_url=server.base_url, model="m")
    rows = _rows(tmp_path / "out")
    assert rows.select("source", "page").rows() == [
        (str(tmp_path / "in" / "doc_1.pdf"), n) for n in (1, 2, 3)
    ]
    assert server.request_count == 1


def test_an_output_that_is_the_input_folder_is_not_read_back(
    tmp_path: Path, server: ChatServer
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_image(folder / "img_1.png", 1)
    for _ in range(3):
        run([folder], folder, base_url=server.base_url, model="m")
    rows = _rows(folder)
    assert rows.select("source", "status").rows() == [(str(folder / "img_1.png"), "ok")]
    assert server.request_count == 1  # the reruns ask for nothing and read no part file


def test_a_name_that_is_not_utf8_extracts_and_resumes(tmp_path: Path, server: ChatServer) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_image(folder / "a.png", 1)
    make_marked_pdf(folder / "b.pdf", 2, 2)
    # Names in Latin-1, as an old archive or a Windows share may hold them.
    (folder / "a.png").rename(os.fsdecode(bytes(folder) + b"/caf\xe9.png"))
    (folder / "b.pdf").rename(os.fsdecode(bytes(folder) + b"/men\xfc.pdf"))
    run([folder], tmp_path / "out", base_url=server.base_url, model="m")
    rows = _rows(tmp_path / "out")
    assert rows.select("source", "page", "status").rows() == [
        (f"{folder}/caf\\xe9.png", 1, "ok"),
        (f"{folder}/men\\xfc.pdf", 1, "ok"),
        (f"{folder}/men\\xfc.pdf", 2, "ok"),
    ]
    asked = server.request_count
    summary, _ = run([folder], tmp_path / "out", base_url=server.base_url, model="m")
    assert server.request_count == asked  # the rerun matches the stored rows: nothing asked
    assert summary.pages_skipped == 3
    assert _rows(tmp_path / "out").height == 3
