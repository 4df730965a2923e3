"""A run stuck on a page that MuPDF draws for ever still answers SIGTERM at once: the page is
drawn in a worker process, never on a thread of the run's own process (whose GIL it held)."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from chat_server import ChatServer
from environment import without_endpoint_settings
from hostile_files import write_endless_pdf
from markers import make_marked_image
from repo_paths import REPO


def _stat(pid: int) -> list[str]:
    return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()


def _below(child: int, ancestor: int) -> bool:
    while child > 1:
        if child == ancestor:
            return True
        try:
            child = int(_stat(child)[1])
        except OSError:
            return False
    return False


def _a_renderer_is_drawing(pid: int) -> bool:
    """Whether a render worker below `pid` (a fork of the fork server) has used 2 s of CPU."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            busy = int(_stat(int(entry.name))[11]) > 200  # utime, in clock ticks (1/100 s)
            renderer = b"forkserver" in (entry / "cmdline").read_bytes()
        except OSError:
            continue  # it ended while we looked
        if busy and renderer and _below(int(entry.name), pid):
            return True
    return False


@pytest.mark.slow
def test_sigterm_stops_a_run_whose_first_file_never_finishes_drawing(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_endless_pdf(folder / "a_endless.pdf")
    make_marked_image(folder / "img_1.png", 1)
    with ChatServer() as server:
        # A render deadline far off when the signal comes, on a loaded machine too (the
        # workers draw at a lower priority: beside busy loops, a small share of a core).
        command = [
            sys.executable,
            "-m",
            "flows",
            "run",
            str(folder),
            "--out",
            str(tmp_path / "out"),
            "--base-url",
            server.base_url,
            "--model",
            "m",
            "--render-timeout",
            "900",
        ]
        child = subprocess.Popen(
            command,
            cwd=REPO,
            env=without_endpoint_settings(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 240
        while not _a_renderer_is_drawing(child.pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert child.poll() is None
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=60)  # once, it ignored the signal for ever
    assert child.returncode == 143, err[-3000:]
    assert err.strip().splitlines()[-1].startswith("interrupted: ")
