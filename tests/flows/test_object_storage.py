"""Object storage for real: inputs in a bucket and the dataset written to one, on an
S3-compatible server (moto) reached only through the standard AWS variables; `http://` inputs
from a plain web server."""

import functools
import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from chat_server import ChatServer
from environment import without_endpoint_settings
from harness import run
from markers import make_marked_image, make_marked_pdf
from page_checks import expected_by_page
from repo_paths import REPO
from s3_server import S3Server, aws_environment

from extractors.sink.store import DatasetStore

IMAGES = 24


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with S3Server() as server:
        yield server


@pytest.fixture
def bucket(s3: S3Server, request: pytest.FixtureRequest) -> Iterator[str]:
    """A bucket of its own for each test, with this process's AWS variables pointing at it."""
    name = f"vb-{request.node.name.replace('_', '-')[:40].lower()}"
    with aws_environment(s3):
        yield s3.bucket(name)


def bucket_rows(s3: S3Server, dataset: str) -> pl.DataFrame:
    """A dataset's rows, read back with Polars through the test's own view of the bucket."""
    fs = s3.filesystem()
    frames = []
    for part in sorted(fs.glob(f"{dataset.removeprefix('s3://')}/part-*.parquet")):
        with fs.open(part, "rb") as handle:
            frames.append(pl.read_parquet(handle))
    return pl.concat(frames) if frames else pl.DataFrame()


def assert_every_page_once_ok(rows: pl.DataFrame, pages: int) -> None:
    assert rows.height == pages
    assert rows.select("source", "page").unique().height == pages
    assert rows["status"].unique().to_list() == ["ok"], rows.filter(pl.col("status") != "ok")
    expected_by_page(rows)


def test_a_bucket_of_inputs_becomes_a_dataset_in_the_bucket_and_a_rerun_asks_nothing(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    make_marked_pdf(tmp_path / "in" / "doc_1.pdf", 1, 3)
    make_marked_image(tmp_path / "in" / "img_2.png", 2)
    s3.upload(tmp_path / "in", f"{bucket}/in")
    with ChatServer() as server:
        # No endpoint is given to the run: AWS_ENDPOINT_URL alone leads it to the server.
        first, _ = run([f"{bucket}/in/"], f"{bucket}/out", base_url=server.base_url, model="m")
        sent = len(server.requests)
        again, _ = run([f"{bucket}/in/"], f"{bucket}/out", base_url=server.base_url, model="m")
        sent_again = len(server.requests) - sent
    rows = bucket_rows(s3, f"{bucket}/out/pages")
    assert_every_page_once_ok(rows, 4)
    assert sorted(set(rows["source"])) == [f"{bucket}/in/doc_1.pdf", f"{bucket}/in/img_2.png"]
    assert first.pages_ok == 4 and sent > 0
    assert again.pages_skipped == 4 and sent_again == 0


def test_parts_written_by_another_process_are_listed_though_this_one_listed_before(
    s3: S3Server, bucket: str
) -> None:
    store = DatasetStore(f"{bucket}/out/pages")
    store.prepare()
    worker = s3.filesystem()  # another writer, such as a Dask worker, with its own connection
    root = f"{bucket.removeprefix('s3://')}/out/pages"
    worker.pipe_file(f"{root}/part-a-00000-00001.parquet", b"PAR1")
    assert store.parts() == [f"{root}/part-a-00000-00001.parquet"]
    store._fs[0].ls(root)  # a listing s3fs keeps in its cache
    worker.pipe_file(f"{root}/part-b-00000-00001.parquet", b"PAR1")
    assert [p.rsplit("/", 1)[-1] for p in store.parts()] == [
        "part-a-00000-00001.parquet",
        "part-b-00000-00001.parquet",
    ]


def _cli(inputs: str, out: str, server: ChatServer) -> list[str]:
    return [
        sys.executable, "-m", "flows", "run", inputs, "--out", out,
        "--base-url", server.base_url, "--model", "m",
        "--concurrency", "2", "--max-images", "1", "--shard-size", "4",
    ]  # fmt: skip


def _kill_after_first_part(
    s3: S3Server, command: list[str], env: dict[str, str], parts: str
) -> None:
    """Start the run in a session of its own and SIGKILL all of it once a part is in the
    bucket, while it still has pages to do."""
    child = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    fs = s3.filesystem()
    deadline = time.monotonic() + 240
    while not fs.glob(parts) and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
        fs.invalidate_cache()
    assert child.poll() is None, child.communicate()[1].decode()[-3000:]
    os.killpg(child.pid, signal.SIGKILL)
    child.wait(timeout=30)


@pytest.mark.slow
def test_a_run_killed_mid_way_then_rerun_leaves_every_page_once_in_the_bucket(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    for n in range(1, IMAGES + 1):
        make_marked_image(tmp_path / "in" / f"img_{n:02d}.png", n, size=(300, 400))
    s3.upload(tmp_path / "in", f"{bucket}/in")
    env = {**without_endpoint_settings(), **s3.environment}
    parts = f"{bucket.removeprefix('s3://')}/out/pages/part-*.parquet"
    with ChatServer(latency=0.3) as server:
        command = _cli(f"{bucket}/in", f"{bucket}/out", server)
        _kill_after_first_part(s3, command, env, parts)
        sent_before = len(server.requests)
        ok_before = bucket_rows(s3, f"{bucket}/out/pages").filter(pl.col("status") == "ok")
        again = subprocess.run(command, cwd=REPO, env=env, capture_output=True, timeout=300)
        assert again.returncode == 0, again.stderr.decode()[-3000:]
        asked_again = len(server.requests) - sent_before
    assert 0 < ok_before.height < IMAGES
    assert_every_page_once_ok(bucket_rows(s3, f"{bucket}/out/pages"), IMAGES)
    # One image a request: no page that was ok before the kill is asked for again.
    assert asked_again == IMAGES - ok_before.height


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # requests are not logged
        return None


@pytest.fixture
def web_folder(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served by Python's http.server on 127.0.0.1 (no Range requests), and its URL."""
    folder = tmp_path / "site"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_http_inputs_are_read(web_folder: tuple[Path, str], tmp_path: Path) -> None:
    folder, site = web_folder
    make_marked_pdf(folder / "doc_1.pdf", 1, 2)
    make_marked_image(folder / "img_2.png", 2)
    inputs = [f"{site}/doc_1.pdf", f"{site}/img_2.png"]
    with ChatServer() as server:
        summary, _ = run(inputs, tmp_path / "out", base_url=server.base_url, model="m")
        again, _ = run(inputs, tmp_path / "out", base_url=server.base_url, model="m")
    rows = pl.read_parquet(str(tmp_path / "out" / "pages" / "*.parquet"))
    assert_every_page_once_ok(rows, 3)
    assert sorted(set(rows["source"])) == inputs
    assert summary.pages_ok == 3 and again.pages_skipped == 3


def test_a_url_whose_package_is_missing_names_the_extra_that_brings_it() -> None:
    # In a process where s3fs and aiohttp cannot be imported, as in an install without extras.
    script = (
        "import sys\n"
        "sys.modules['s3fs'] = sys.modules['aiohttp'] = None\n"
        "from extractors.discover.storage import remote_filesystem\n"
        "for url in ('s3://bucket/in/', 'https://example.org/a.pdf'):\n"
        "    try:\n"
        "        remote_filesystem(url)\n"
        "    except Exception as exc:\n"
        "        print(type(exc).__name__, exc)\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert shown.stdout.splitlines() == [
        "RunAbortedError cannot open s3://bucket/in/: Install s3fs to access S3 "
        "(pip install 'visionbatch[s3]')",
        'RunAbortedError cannot open https://example.org/a.pdf: HTTPFileSystem requires "requests"'
        " and \"aiohttp\" to be installed (pip install 'visionbatch[http]')",
    ], shown.stderr
