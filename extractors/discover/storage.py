"""Where inputs are read from and outputs written to: local paths, or any fsspec URL.

A location is a plain string. Local paths (and `file://` URLs, turned into paths at the edge)
take the fast local code: os.walk, flock, fsync and rename. Every other scheme (`s3://`,
`gs://`, `memory://`...) goes through fsspec, whose filesystems pickle, so a Dask worker
reaches the same storage as the flow that planned its shard.
"""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fsspec import AbstractFileSystem
from fsspec.core import url_to_fs
from fsspec.utils import get_protocol

from extractors.errors import RunAbortedError

_LOCAL_PROTOCOLS = ("file", "local")

# The extra of ours that installs a scheme's packages (pyproject's optional-dependencies).
_EXTRAS = {"s3": "s3", "s3a": "s3", "http": "http", "https": "http"}


def normalise_location(location: str) -> str:
    """A `file://` URL as a plain path; anything else unchanged."""
    if "://" in location and get_protocol(location) in _LOCAL_PROTOCOLS:
        return url_to_fs(location)[1]
    return location


def absolute_location(location: str) -> str:
    """A local path made absolute, its links resolved: one identity per file, whatever the
    working directory (a Dask worker's is not the flow's); a URL unchanged."""
    location = normalise_location(location)
    return location if is_remote(location) else str(Path(location).resolve())


def displayed_location(location: str) -> str:
    """The location as rows show it: a name that is not UTF-8 (bytes Python holds as lone
    surrogates) has each such byte written `\\xNN`, since Parquet strings must be UTF-8."""
    return location.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def is_remote(location: str) -> bool:
    """True for a URL that fsspec must open (anything but a local path or `file://`)."""
    return "://" in location and get_protocol(location) not in _LOCAL_PROTOCOLS


def remote_filesystem(location: str) -> tuple[AbstractFileSystem, str]:
    """The fsspec filesystem of a URL and the path inside it; RunAbortedError when the scheme
    is unknown or its package (s3fs, gcsfs...) is not installed: the run cannot start.

    Credentials and the store's address come from where the scheme's package reads them: for
    `s3://`, botocore's `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_ENDPOINT_URL`
    (MinIO, Scaleway and other S3-compatible stores), on whichever machine opens the URL.
    """
    try:
        return url_to_fs(location)
    except ImportError as exc:
        raise RunAbortedError(f"cannot open {location}: {exc}{_install_hint(location)}") from None
    except ValueError as exc:
        raise RunAbortedError(f"cannot open {location}: {exc}") from None


def _install_hint(location: str) -> str:
    extra = _EXTRAS.get(get_protocol(location))
    return f" (pip install 'visionbatch[{extra}]')" if extra else ""


@contextmanager
def local_copy(location: str) -> Iterator[Path]:
    """A readable local file for the location: the file itself, or a temporary copy of it.

    PyMuPDF and Pillow read files; a remote input is copied next to the worker for as long
    as its document is open, then removed.
    """
    if not is_remote(location):
        if displayed_location(location) == location:
            yield Path(location)
        else:
            with _utf8_link(location) as link:
                yield link
        return
    fs, path = remote_filesystem(location)
    folder = Path(tempfile.mkdtemp(prefix="visionbatch-input-"))
    try:
        target = folder / (Path(path).name or "input")
        fs.get_file(path, str(target))
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _utf8_link(location: str) -> Iterator[Path]:
    """A link with a UTF-8 name to a file whose name is not: MuPDF takes names as UTF-8."""
    folder = Path(tempfile.mkdtemp(prefix="visionbatch-input-"))
    try:
        link = folder / Path(displayed_location(location)).name
        link.symlink_to(location)
        yield link
    finally:
        shutil.rmtree(folder, ignore_errors=True)
