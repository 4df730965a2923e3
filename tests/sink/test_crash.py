"""Crash safety: SIGKILL at any moment, then the same command again; one run per output."""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from chat_server import ChatServer
from environment import without_endpoint_settings
from filelock import FileLock
from harness import run
from markers import make_marked_image, make_marked_pdf
from page_checks import assert_every_page_once_ok
from repo_paths import REPO
from runner_process import start_runner as start_process

from extractors.errors import OutputLockedError
from extractors.sink.lock import LOCK_NAME


def start_runner(inputs: Path, out: Path, base_url: str) -> subprocess.Popen[bytes]:
    return start_process(
        subprocess.PIPE,
        inputs=[str(inputs)],
        out=str(out),
        base_url=base_url,
        model="m",
        concurrency=4,
        max_images=3,
        flush_rows=4,  # a part file every few rows: kills land during writes too
    )


def marked_pdfs(folder: Path, documents: int, pages: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for doc in range(1, documents + 1):
        make_marked_pdf(folder / f"doc_{doc}.pdf", doc, pages)
    return folder


class PartFileReader(threading.Thread):
    """Reads every part file over and over while runs write and get killed: none may be torn."""

    def __init__(self, pages_dir: Path) -> None:
        super().__init__(daemon=True)
        self.pages_dir = pages_dir
        self.stop = threading.Event()
        self.reads = 0
        self.torn: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            for path in sorted(self.pages_dir.glob("*.parquet")):
                try:
                    pq.read_table(path)
                    self.reads += 1
                except FileNotFoundError:
                    continue  # replaced or removed by compaction between glob and open
                except Exception as exc:  # noqa: BLE001 - any other failure is a torn file
                    self.torn.append(f"{path.name}: {exc}")


@pytest.mark.slow
def test_sigkill_at_random_moments_then_rerun_leaves_every_page_once_ok(tmp_path: Path) -> None:
    inputs = marked_pdfs(tmp_path / "in", 6, 8)
    for index in range(20):
        make_marked_image(inputs / f"img_{index + 7}.jpg", index + 7, size=(300, 400))
    out = tmp_path / "out"
    (out / "pages").mkdir(parents=True)
    reader = PartFileReader(out / "pages")
    reader.start()
    delays = random.Random(3).sample([x / 10 for x in range(15, 45)], 5)
    # Empty answers leave error rows that later runs replace, so compaction has work to be
    # killed in as well.
    with ChatServer(latency=0.05, fault_rates={"empty": 0.3}, seed=1) as server:
        for delay in delays:
            runner = start_runner(inputs, out, server.base_url)
            time.sleep(delay)
            if runner.poll() is None:
                os.killpg(runner.pid, signal.SIGKILL)
            runner.wait(timeout=30)
        server.fault_rates = None
        final = start_runner(inputs, out, server.base_url)
        _, stderr = final.communicate(timeout=300)
    reader.stop.set()
    reader.join(timeout=30)
    assert final.returncode == 0, stderr.decode()[-2000:]
    assert reader.torn == [] and reader.reads > 0
    assert_every_page_once_ok(out, 6 * 8 + 20)
    assert not list((out / "pages").glob(".tmp-*"))  # leftovers of killed writes are gone


def test_sigkill_of_the_cli_then_the_same_command_finishes_the_job(tmp_path: Path) -> None:
    inputs = marked_pdfs(tmp_path / "in", 3, 6)
    out = tmp_path / "out"
    env = without_endpoint_settings()
    with ChatServer(latency=0.5) as server:
        command = [
            *(sys.executable, "-m", "flows", "run", str(inputs), "--out", str(out)),
            *("--base-url", server.base_url, "--model", "m", "--max-images", "2"),
            *("--concurrency", "1"),
        ]
        first = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while server.request_count < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(first.pid, signal.SIGKILL)  # the CLI and Prefect's server with it
        first.wait(timeout=30)
        assert server.request_count >= 3
        second = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300
        )
    assert second.returncode == 0, second.stderr[-2000:]
    assert_every_page_once_ok(out, 18)


def test_a_second_run_on_the_same_output_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    make_marked_image(tmp_path / "in" / "img_1.png", 1)
    out = tmp_path / "out"
    out.mkdir()
    holder = FileLock(out / LOCK_NAME)
    env = without_endpoint_settings()
    with ChatServer() as server, holder:
        with pytest.raises(OutputLockedError, match="another visionbatch run is writing to"):
            run([tmp_path / "in"], out, base_url=server.base_url, model="m")
        completed = subprocess.run(
            [
                *(sys.executable, "-m", "flows", "run", str(tmp_path / "in"), "--out", str(out)),
                *("--base-url", server.base_url, "--model", "m"),
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert server.request_count == 0
    assert completed.returncode == 1
    assert (
        completed.stderr.strip()
        .splitlines()[-1]
        .startswith("visionbatch: error: another visionbatch run is writing to")
    )
    assert not (out / "pages").exists() or not list((out / "pages").iterdir())


def test_two_runs_started_at_once_never_duplicate_rows(tmp_path: Path) -> None:
    inputs = marked_pdfs(tmp_path / "in", 3, 4)
    out = tmp_path / "out"
    with ChatServer(latency=0.2) as server:
        runners = [start_runner(inputs, out, server.base_url) for _ in range(2)]
        results = [runner.communicate(timeout=300) for runner in runners]
    codes = sorted(runner.returncode for runner in runners)
    assert codes == [0, 1]  # one ran, the other was refused
    refused = next(err for (_, err), r in zip(results, runners, strict=True) if r.returncode)
    assert b"another visionbatch run is writing to" in refused
    df = assert_every_page_once_ok(out, 12)
    assert df["run_id"].n_unique() == 1
    assert pl.read_parquet(str(out / "pages" / "*.parquet")).height == 12
