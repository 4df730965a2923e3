"""The end-to-end acceptance figures of the pipeline, measured through the real CLI and flow.

A 30-page letter PDF plus 10 images against the test chat-completions server on 127.0.0.1
(300 ms latency per request), `--concurrency 8 --max-images 12`, then the same command again.
Prints: requests made and their image counts, the most requests the server saw in flight, the
image tokens of a letter page, rows per (source, page), and what the rerun sent.

    .venv/bin/python benchmarks/acceptance.py
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "support"))

from chat_server import ChatServer  # noqa: E402
from markers import make_marked_image, make_marked_pdf  # noqa: E402


def run_cli(inputs: Path, out: Path, base_url: str) -> float:
    env = {**os.environ, "VISIONBATCH_BASE_URL": base_url, "VISIONBATCH_API_KEY": "local-test-key"}
    command = [
        sys.executable,
        "-m",
        "flows",
        "run",
        str(inputs),
        "--out",
        str(out),
        "--model",
        "pixtral-12b-2409",
        "--concurrency",
        "8",
        "--max-images",
        "12",
    ]
    started = time.monotonic()
    subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True)
    return time.monotonic() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        inputs, out = Path(scratch) / "in", Path(scratch) / "out"
        inputs.mkdir()
        make_marked_pdf(inputs / "doc_1.pdf", 1, 30)
        for index in range(10):
            make_marked_image(inputs / f"img_{index + 2}.jpg", index + 2)
        with ChatServer(latency=0.3, context_tokens=128_000) as server:
            wall = run_cli(inputs, out, server.base_url)
            sizes = sorted((r.n_images for r in server.requests), reverse=True)
            print(f"requests made: {server.request_count} (images each: {sizes})")
            print(f"all within the 128k context: {all(r.status == 200 for r in server.requests)}")
            print(f"most requests in flight at the server: {server.max_in_flight}")
            print(f"first run wall time (with Prefect start-up): {wall:.1f} s")
            pages = pl.read_parquet(str(out / "pages" / "*.parquet"))
            letter = pages.filter(pl.col("source").str.ends_with("doc_1.pdf"))
            most = pages.group_by("source", "page").len()["len"].max()
            ok = (pages["status"] == "ok").sum()
            print(f"rows: {pages.height}, ok: {ok}, most rows per (source, page): {most}")
            print(
                f"image tokens of a letter page (Pixtral, as sent {letter['width'][0]}x"
                f"{letter['height'][0]}): {letter['image_tokens'][0]}"
            )
            server.reset_stats()
            run_cli(inputs, out, server.base_url)
            print(
                f"rerun: requests sent {server.request_count}, rows "
                f"{pl.read_parquet(str(out / 'pages' / '*.parquet')).height}"
            )


if __name__ == "__main__":
    main()
