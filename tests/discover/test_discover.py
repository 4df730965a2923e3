"""Discovery of inputs as a stream: globs, modification times, limits, URLs."""

import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import fsspec
import pytest

from extractors.discover.files import check_inputs, count, discover, shards
from extractors.errors import RunAbortedError
from extractors.options import DiscoveryOptions


def _tree(root: Path) -> list[str]:
    names = [
        "a.pdf",
        "b.png",
        "notes.txt",
        "2024/jan/c.pdf",
        "2024/jan/d.jpg",
        "2024/feb/e.pdf",
        "drafts/f.pdf",
        ".hidden/g.pdf",
        "2024/.h.pdf",
    ]
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return names


def _relative(found: Iterator[str] | list[str], root: Path) -> list[str]:
    return [Path(p).relative_to(root).as_posix() for p in found]


def test_folders_are_walked_in_a_stable_order_without_hidden_files(tmp_path: Path) -> None:
    _tree(tmp_path)
    found = discover([tmp_path])
    assert iter(found) is found  # a stream, not a list
    assert _relative(found, tmp_path) == [
        "a.pdf",
        "b.png",
        "notes.txt",
        "2024/feb/e.pdf",
        "2024/jan/c.pdf",
        "2024/jan/d.jpg",
        "drafts/f.pdf",
    ]


def test_include_and_exclude_globs_match_the_path_under_the_folder(tmp_path: Path) -> None:
    _tree(tmp_path)
    pdfs = DiscoveryOptions(include=("*.pdf",), exclude=("drafts/*",))
    assert _relative(discover([tmp_path], options=pdfs), tmp_path) == [
        "a.pdf",
        "2024/feb/e.pdf",
        "2024/jan/c.pdf",
    ]
    january = DiscoveryOptions(include=("2024/jan/*", "b.*"))
    assert _relative(discover([tmp_path], options=january), tmp_path) == [
        "b.png",
        "2024/jan/c.pdf",
        "2024/jan/d.jpg",
    ]
    # A file named on the command line is matched by its name.
    assert list(discover([tmp_path / "notes.txt"], options=pdfs)) == []
    assert list(discover([tmp_path / "a.pdf"], options=pdfs)) == [str(tmp_path / "a.pdf")]


def test_since_takes_files_modified_at_or_after_the_date(tmp_path: Path) -> None:
    _tree(tmp_path)
    old = time.time() - 10 * 86400
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "e.pdf":
            os.utime(path, (old, old))
    since = DiscoveryOptions(modified_since=datetime.now() - timedelta(days=1))
    assert _relative(discover([tmp_path], options=since), tmp_path) == ["2024/feb/e.pdf"]
    assert count([tmp_path], options=since) == 1


def test_limit_stops_the_walk_after_n_files(tmp_path: Path) -> None:
    _tree(tmp_path)
    limited = DiscoveryOptions(include=("*.pdf",), limit=2)
    assert _relative(discover([tmp_path], options=limited), tmp_path) == [
        "a.pdf",
        "2024/feb/e.pdf",
    ]
    assert count([tmp_path], options=limited) == 2
    assert count([tmp_path]) == 7


def test_the_output_directory_inside_an_input_is_skipped(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / "out" / "pages").mkdir(parents=True)
    (tmp_path / "out" / "pages" / "part-1.parquet").write_bytes(b"x")
    assert "out/pages/part-1.parquet" not in _relative(
        discover([tmp_path], exclude=[tmp_path / "out"]), tmp_path
    )


def test_shards_are_consecutive_groups() -> None:
    assert list(shards(iter(["a", "b", "c", "d", "e"]), 2)) == [["a", "b"], ["c", "d"], ["e"]]


def test_fsspec_urls_are_walked_with_the_same_filters() -> None:
    fs = fsspec.filesystem("memory")
    for name in ("in/a.pdf", "in/sub/b.pdf", "in/sub/c.txt", "in/.d.pdf"):
        fs.pipe_file(f"/discover-test/{name}", b"x")
    try:
        found = list(discover(["memory://discover-test/in"], options=DiscoveryOptions(("*.pdf",))))
        assert found == [
            "memory:///discover-test/in/a.pdf",
            "memory:///discover-test/in/sub/b.pdf",
        ]
        check_inputs(["memory://discover-test/in", "memory://discover-test/in/a.pdf"])
        with pytest.raises(RunAbortedError, match="input not found: memory://nowhere"):
            check_inputs(["memory://nowhere"])
        recent = DiscoveryOptions(modified_since=datetime.now() - timedelta(hours=1))
        assert count(["memory://discover-test/in"], options=recent) == 3
    finally:
        fs.rm("/discover-test", recursive=True)


def test_file_urls_are_local_paths(tmp_path: Path) -> None:
    from extractors.discover.storage import is_remote, normalise_location

    _tree(tmp_path)
    url = tmp_path.as_uri()
    assert not is_remote(url)
    assert normalise_location(url) == str(tmp_path)
    assert is_remote("s3://bucket/key") and normalise_location("s3://bucket/k") == "s3://bucket/k"


def test_a_url_whose_scheme_cannot_be_opened_stops_the_run_with_one_line() -> None:
    with pytest.raises(RunAbortedError, match=r"cannot open nosuchscheme://bucket/x: .*"):
        check_inputs(["nosuchscheme://bucket/x"])
