"""S3Server: a real S3-compatible server (moto's server mode) on 127.0.0.1, in a process of its
own, reached only through the standard AWS variables, as a user's MinIO or Scaleway would be."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

# moto accepts any key pair; region us-east-1 needs no LocationConstraint when a bucket is made.
_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "visionbatch-test",
    "AWS_SECRET_ACCESS_KEY": "visionbatch-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class S3Server:
    """`python -m moto.server` on a free port; use as a context manager."""

    def __init__(self, start_timeout: float = 60.0) -> None:
        self.port = _free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> S3Server:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_up()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)

    @property
    def environment(self) -> dict[str, str]:
        """The variables a user sets for an S3-compatible store: keys, region, endpoint."""
        return {**_CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint_url}

    def filesystem(self) -> Any:
        """An s3fs filesystem on this server, given its endpoint explicitly (the tests' own view
        of the bucket, independent of the variables the code under test reads)."""
        import s3fs

        return s3fs.S3FileSystem(
            key=_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            secret=_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            endpoint_url=self.endpoint_url,
            skip_instance_cache=True,
        )

    def bucket(self, name: str) -> str:
        """Make a bucket (names have 3 characters or more); its `s3://` URL."""
        self.filesystem().mkdir(name)
        return f"s3://{name}"

    def upload(self, folder: Path, url: str) -> list[str]:
        """Every file of a local folder under `url`, by name; their URLs, sorted."""
        fs = self.filesystem()
        names = sorted(p.name for p in folder.iterdir() if p.is_file())
        for name in names:
            fs.put_file(str(folder / name), f"{url.rstrip('/')}/{name}")
        return [f"{url.rstrip('/')}/{name}" for name in names]

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            assert self._process is not None and self._process.poll() is None, "moto ended"
            try:
                with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise TimeoutError(f"moto did not answer on {self.endpoint_url}")


@contextmanager
def aws_environment(server: S3Server) -> Iterator[dict[str, str]]:
    """This process's environment pointed at `server` (AWS variables only), restored after.

    s3fs keeps one filesystem per set of arguments for the life of a process; its cache is
    cleared on the way in and out, so that a filesystem made for another server (another
    port) is never reused.
    """
    import s3fs

    saved = {name: os.environ.get(name) for name in server.environment}
    os.environ.update(server.environment)
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        yield dict(os.environ)
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
