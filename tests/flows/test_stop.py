"""Ctrl-C and SIGTERM stop a run cleanly: one line, 130 or 143, nothing left running, and the
next run completes without asking again for a page that was already ok."""

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from chat_server import ChatServer
from environment import without_endpoint_settings
from markers import make_marked_image
from repo_paths import REPO

PAGES = 24


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended while we looked
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        return "Z" not in (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1][:3]
    except OSError:
        return False


def _all_ended(pids: set[int], within: float) -> list[str]:
    """The command lines of those still running after `within` seconds (none, normally)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.2)
    return [_cmdline(pid) for pid in pids if _alive(pid)]


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return str(pid)


def _command(tmp_path: Path, server: ChatServer) -> list[str]:
    return [
        sys.executable, "-m", "flows", "run", str(tmp_path / "in"), "--out", str(tmp_path / "out"),
        "--base-url", server.base_url, "--model", "m", "--concurrency", "2",
    ]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_run_and_the_next_run_finishes_it(
    tmp_path: Path, sent: signal.Signals, code: int
) -> None:
    (tmp_path / "in").mkdir()
    for n in range(1, PAGES + 1):
        make_marked_image(tmp_path / "in" / f"img_{n:02d}.png", n)
    env = without_endpoint_settings()
    with ChatServer(latency=0.4) as server:
        child = subprocess.Popen(
            _command(tmp_path, server),
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # The default disposition of SIGINT, as at a terminal (a background job of a
            # non-interactive shell would ignore it).
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        deadline = time.monotonic() + 240
        while len(server.requests) < 4 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        started = _descendants(child.pid)
        child.send_signal(sent)
        _, err = child.communicate(timeout=60)
        sent_before = len(server.requests)
        assert child.returncode == code, err[-3000:]
        assert "Traceback" not in err
        last = err.strip().splitlines()[-1]
        assert re.fullmatch(
            r"interrupted: \d+ of \d+ pages done; run the same command to continue", last
        )
        # Renderers, their fork server and Prefect's temporary server end with the run; the
        # helpers that watch a pipe (fork server, resource tracker) once they see it close.
        assert _all_ended(started, within=30.0) == []
        done = pl.read_parquet(str(tmp_path / "out" / "pages" / "*.parquet"))
        ok_before = done.filter(pl.col("status") == "ok").height
        assert 0 < ok_before < PAGES
        again = subprocess.run(
            _command(tmp_path, server), cwd=REPO, env=env, capture_output=True, timeout=300
        )
        assert again.returncode == 0
        asked_again = len(server.requests) - sent_before
    rows = pl.read_parquet(str(tmp_path / "out" / "pages" / "*.parquet"))
    assert rows.height == PAGES and set(rows["status"]) == {"ok"}
    assert rows.select("source", "page").unique().height == PAGES
    assert asked_again == PAGES - ok_before  # no page that was ok is asked for again
