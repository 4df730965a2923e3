"""A full disk under --out: what was written is kept, the run ends with one line, and the same
command finishes the job once there is room again."""

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from chat_server import ChatServer
from environment import without_endpoint_settings
from harness import run
from markers import make_marked_image
from page_checks import assert_every_page_once_ok
from planted_faults import disk_full_after
from repo_paths import REPO, with_test_imports

import extractors.sink.store as store_module
from extractors.errors import OutputFullError
from extractors.sink.store import part_files

PATCHED_CLI = REPO / "tests" / "support" / "patched_cli.py"


def _inputs(tmp_path: Path, images: int = 8) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for index in range(1, images + 1):
        make_marked_image(folder / f"img_{index}.png", index, size=(200, 260))
    return folder


def _cli(*arguments: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    start = [sys.executable, str(PATCHED_CLI), fault] if fault else [sys.executable, "-m", "flows"]
    return subprocess.run(
        [*start, "run", *arguments],
        cwd=REPO,
        env=with_test_imports(without_endpoint_settings()),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_full_disk_keeps_what_was_written_and_the_same_run_finishes_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, out = _inputs(tmp_path), tmp_path / "out"
    with ChatServer() as server:
        monkeypatch.setattr(store_module, "write_atomically", disk_full_after(2))
        with pytest.raises(OutputFullError) as raised:
            run([inputs], out, base_url=server.base_url, model="m", flush_rows=2)
        assert str(raised.value) == (
            f"no space left on {out} (4 pages written; free space and run the same command)"
        )
        assert len(part_files(out / "pages")) == 2
        assert not list((out / "pages").glob(".tmp-*"))  # no half file holds the space
        monkeypatch.undo()
        server.reset_stats()
        run([inputs], out, base_url=server.base_url, model="m")
        assert server.request_count == 4  # only the pages that were not written
    assert_every_page_once_ok(out, 8)


@pytest.mark.slow  # a CLI run: ~80 s on a loaded 2-core machine; the tmpfs test is its twin
def test_the_cli_says_no_space_in_one_line_and_exits_1(tmp_path: Path) -> None:
    inputs, out = _inputs(tmp_path, images=3), tmp_path / "out"
    with ChatServer() as server:
        endpoint = ("--base-url", server.base_url, "--model", "m")
        full = _cli(str(inputs), "--out", str(out), *endpoint, fault="disk-full-after:0")
        run([inputs], out, base_url=server.base_url, model="m")
    assert full.returncode == 1
    assert "Traceback" not in full.stderr
    assert full.stderr.strip().splitlines()[-1] == (
        f"visionbatch: error: no space left on {out} "
        "(0 pages written; free space and run the same command)"
    )
    assert_every_page_once_ok(out, 3)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs (root only; skipped where it cannot be mounted)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_really_full_disk_ends_the_cli_with_one_line_then_the_rerun_completes(
    tmp_path: Path, small_disk: Path
) -> None:
    inputs, out = _inputs(tmp_path, images=6), small_disk / "out"
    filler = small_disk / "filler"
    # Room for the lock file and DIR's folders, not for a part file.
    filler.write_bytes(b"\0" * (shutil.disk_usage(small_disk).free - 8192))
    with ChatServer() as server:
        full = _cli(str(inputs), "--out", str(out), "--base-url", server.base_url, "--model", "m")
        filler.unlink()
        run([inputs], out, base_url=server.base_url, model="m")
    assert full.returncode == 1 and "Traceback" not in full.stderr, full.stderr[-2000:]
    assert full.stderr.strip().splitlines()[-1] == (
        f"visionbatch: error: no space left on {out} "
        "(0 pages written; free space and run the same command)"
    )
    assert_every_page_once_ok(out, 6)
