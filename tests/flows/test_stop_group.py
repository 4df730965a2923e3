"""Ctrl-C at a terminal: SIGINT to the run's whole process group (render workers, their fork
server, Prefect's temporary server) is one line and exit 130, and the rows already answered
stay."""

import os
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


def _children(pid: int) -> set[int]:
    """Every live process below `pid`, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue  # it ended while we looked
            parents.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _running(pids: set[int], within: float) -> set[int]:
    """Those of `pids` still running (not zombies) after up to `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        alive = set()
        for pid in pids:
            try:
                state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if state[0] != "Z":
                alive.add(pid)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


@pytest.mark.slow
def test_sigint_to_the_process_group_is_one_line_and_keeps_the_rows(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    for n in range(1, PAGES + 1):
        make_marked_image(tmp_path / "in" / f"img_{n:02d}.png", n)
    with ChatServer(latency=0.4) as server:
        command = [
            sys.executable, "-m", "flows", "run", str(tmp_path / "in"),
            "--out", str(tmp_path / "out"), "--base-url", server.base_url, "--model", "m",
            "--concurrency", "2", "--render-workers", "2",
        ]  # fmt: skip
        child = subprocess.Popen(
            command,
            cwd=REPO,
            env=without_endpoint_settings(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # A group of its own, as a terminal gives a command, with SIGINT's default action.
            process_group=0,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        deadline = time.monotonic() + 240
        while len(server.requests) < 4 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        below = _children(child.pid)
        os.killpg(child.pid, signal.SIGINT)  # what Ctrl-C does
        _, err = child.communicate(timeout=60)
    lines = err.strip().splitlines()
    assert child.returncode == 130, err[-3000:]
    assert len(lines) <= 3, err[-3000:]
    assert lines[-1].startswith("interrupted: ")
    # Render workers, the fork server and the temporary server end with the run.
    assert _running(below, within=30.0) == set()
    rows = pl.read_parquet(str(tmp_path / "out" / "pages" / "*.parquet"))
    assert 0 < rows.filter(pl.col("status") == "ok").height < PAGES
