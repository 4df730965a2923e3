"""The Scaleway flavour: the input goes to Object Storage through fsspec, the batch is created
from its pre-signed URL, and the results are read from beside it.

The fast variant: fsspec's in-memory filesystem stands in for the bucket, with a `sign` that
makes a URL the way s3fs's does (a query string on the object's address); the test batch server
reads the object and writes the results through fsspec too. `test_batch_scaleway_s3.py` runs
the flavour on a real S3 API (moto's server).
"""

from pathlib import Path
from typing import Any

import fsspec
import pytest
from batch_runs import KEY, batch_run
from batch_server import BatchServer
from fsspec.implementations.memory import MemoryFileSystem
from markers import make_marked_pdf
from page_checks import assert_every_page_once_ok


class SignedMemoryFileSystem(MemoryFileSystem):
    """A memory bucket whose objects can be pre-signed, as S3's can."""

    protocol = "signedmem"

    @classmethod
    def _strip_protocol(cls, path: str) -> str:
        return str(super()._strip_protocol(path.removeprefix("signedmem://")))

    def sign(self, path: str, expiration: int = 100, **kwargs: Any) -> str:
        where = self._strip_protocol(path).lstrip("/")
        return f"signedmem://{where}?X-Amz-Expires={expiration}&X-Amz-Signature=t"


fsspec.register_implementation("signedmem", SignedMemoryFileSystem, clobber=True)


def test_scaleway_batches_go_through_object_storage(tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "doc_1.pdf", 1, 4)
    out = tmp_path / "out"
    bucket = "signedmem://archive-bucket/visionbatch"
    with BatchServer(api_key=KEY) as server:
        outcome = batch_run(
            [tmp_path / "doc_1.pdf"],
            out,
            provider="scaleway",
            base_url=server.base_url,
            batch_bucket=bucket,
            max_images=2,
        )
        (job,) = server.jobs.values()
        calls = list(server.calls)

    assert outcome.collected and server.request_count == 0
    assert job.input_file_id.startswith(f"{bucket}/") and "X-Amz-Signature" in job.input_file_id
    assert {(m, p) for m, p in calls if "/files" in p} == set()  # no files API at all
    fs = fsspec.filesystem("signedmem")
    names = sorted(fs.find("signedmem://archive-bucket/visionbatch"))
    assert [n.rsplit("/", 1)[-1] for n in names] == ["input-0001-output.jsonl", "input-0001.jsonl"]
    # The pre-signed URL is made when the batch is created, never recorded.
    assert "Signature" not in (out / "batches" / f"state-{job_run(names)}.json").read_text()
    df = assert_every_page_once_ok(out, 4)
    assert df["batch_id"].unique().to_list() == [job.id]


def test_scaleway_needs_a_bucket_and_says_so_before_anything_starts(tmp_path: Path) -> None:
    from extractors.errors import RunAbortedError

    with pytest.raises(RunAbortedError, match="--batch-bucket"):
        batch_run([tmp_path], tmp_path / "out", provider="scaleway", base_url="http://127.0.0.1:9")


def job_run(names: list[str]) -> str:
    """The run id in the objects' names: prefix/RUN/input-0001.jsonl."""
    return names[0].rsplit("/", 2)[-2]
