"""An answer larger than --max-answer-mb fails its attempt as it inflates, not after."""

import json
import os
import subprocess
import sys
from pathlib import Path

from chat_server import ChatServer, gzip_bomb
from harness import run
from markers import make_marked_image
from page_checks import read_pages
from repo_paths import REPO

# 200 MB of zeros, about 200 KB gzipped on the wire.
INFLATED = 200_000_000

# Runs in a fresh interpreter, whose peak RSS is this attempt's and nothing else's.
_MEASURE = """
import asyncio, json, resource, sys
from pathlib import Path
from one_request import one_page_request
from extractors.answer.catalog import resolve_schema
from extractors.endpoint.client import EndpointClient
from extractors.endpoint.prompt import Prompt
from extractors.options import EndpointOptions

def peak_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

async def main(url, folder):
    options = EndpointOptions(base_url=url, model="m", max_answer_bytes=1_000_000)
    client = EndpointClient(options, Prompt(resolve_schema("page_text")))
    request = one_page_request(Path(folder))
    # A normal answer first: everything loaded, warm.
    await client.attempt(request, 1, 0.0, client.encoded_body(request))
    before = peak_kb()
    try:
        await client.attempt(request, 2, 0.0, client.encoded_body(request))
        outcome = "answered"
    except Exception as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    await client.close()
    print(json.dumps({"outcome": outcome, "growth_kb": peak_kb() - before}))

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def test_a_gzip_bomb_is_an_answer_error_and_memory_stays_bounded(tmp_path: Path) -> None:
    with ChatServer() as server:
        server.inject("hang:0", gzip_bomb(INFLATED))  # a plain answer to warm up, then the bomb
        done = subprocess.run(
            [sys.executable, "-c", _MEASURE, server.base_url, str(tmp_path)],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": f"{REPO}:{REPO / 'tests' / 'support'}"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"peak RSS growth over the bomb's attempt: {measured['growth_kb'] / 1024:.1f} MiB")
    assert measured["outcome"] == "AnswerTooLargeError: answer larger than 1 MB"
    # Inflated whole, the answer alone would be 200 MB; bounded, it stays near the 1 MB cap.
    assert measured["growth_kb"] < 40_000


def test_a_gzip_bomb_ends_as_an_answer_error_row_without_retries(tmp_path: Path) -> None:
    make_marked_image(tmp_path / "img_1.png", 1, size=(300, 400))
    with ChatServer() as server:
        server.inject(gzip_bomb(INFLATED))
        run([tmp_path], tmp_path / "out", base_url=server.base_url, model="m", max_answer_mb=1)
        asked = server.request_count
    row = read_pages(tmp_path / "out").row(0, named=True)
    assert asked == 1 and row["attempts"] == 1
    assert row["status"] == "error" and row["error_category"] == "answer"
    assert row["error"] == "answer larger than 1 MB"
