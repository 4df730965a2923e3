"""The Scaleway flavour against a real S3 API: `--batch-bucket s3://...` on moto's server,
reached only through the standard AWS variables (`AWS_ENDPOINT_URL` for the store's address).

The test batch server plays Scaleway: it fetches the batch's input from the pre-signed URL
with a plain HTTP GET, as Scaleway does, and writes the results beside it in the bucket.
"""

import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import batch_server.server
import pytest
from batch_runs import KEY, batch_run
from batch_server import BatchServer
from markers import make_marked_pdf
from page_checks import assert_every_page_once_ok
from s3_server import S3Server, aws_environment


def read_signed_object(url: str) -> tuple[bytes | None, str | None]:
    """The object behind a pre-signed, path-style URL (`http://host/bucket/key?X-...`), fetched
    whole, and the `s3://` base its results are written beside."""
    with urllib.request.urlopen(url, timeout=30) as answer:
        data: bytes = answer.read()
    path = urllib.parse.urlsplit(url).path.lstrip("/")
    return data, f"s3://{path.removesuffix('.jsonl')}"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Server]:
    monkeypatch.setattr(batch_server.server, "_read_object", read_signed_object)
    with S3Server() as server, aws_environment(server):
        yield server


def test_scaleway_batches_go_through_a_real_s3_bucket(s3: S3Server, tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "doc_1.pdf", 1, 4)
    bucket = s3.bucket("archive-bucket")
    out = tmp_path / "out"  # --batch records its batches in a local --out
    request = {
        "provider": "scaleway",
        "batch_bucket": f"{bucket}/visionbatch",
        "max_images": 2,
    }
    with BatchServer(api_key=KEY) as server:
        outcome = batch_run([tmp_path / "doc_1.pdf"], out, base_url=server.base_url, **request)
        (job,) = server.jobs.values()
        calls = list(server.calls)
        again = batch_run([tmp_path / "doc_1.pdf"], out, base_url=server.base_url, **request)
        created_again = server.created - 1

    assert outcome.collected and server.request_count == 0
    # The batch was created from a pre-signed URL of the object, on the store's own address.
    assert job.input_file_id.startswith(f"{s3.endpoint_url}/archive-bucket/visionbatch/")
    assert "Signature=" in job.input_file_id
    assert {(m, p) for m, p in calls if "/files" in p} == set()  # no files API at all
    objects = s3.filesystem().find("archive-bucket/visionbatch")
    assert [n.rsplit("/", 1)[-1] for n in objects] == [
        "input-0001-output.jsonl",
        "input-0001.jsonl",
    ]
    df = assert_every_page_once_ok(out, 4)
    assert df["batch_id"].unique().to_list() == [job.id]
    # Resumed: every page is ok, so the same command creates no batch and asks nothing.
    assert again.collected and created_again == 0 and server.request_count == 0
