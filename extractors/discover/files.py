"""Finding input files as a stream: files as given, folders recursed, filters applied on the way.

An archive of hundreds of thousands of files is never listed whole: folders are walked one
at a time and each file is filtered and handed on as it is found, so memory holds one folder's
names, not the archive's.
"""

import os
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path, PurePosixPath

from fsspec import AbstractFileSystem

from extractors.discover.storage import is_remote, remote_filesystem
from extractors.errors import RunAbortedError
from extractors.options import DiscoveryOptions


def check_inputs(inputs: Iterable[str]) -> None:
    """Raise RunAbortedError for an input that does not exist (a bad argument, not a bad file)."""
    missing = [location for location in inputs if not _exists(location)]
    if missing:
        raise RunAbortedError(f"input not found: {', '.join(missing)}")


def discover(
    inputs: Iterable[str | Path],
    exclude: str | Path | None = None,
    options: DiscoveryOptions | None = None,
) -> Iterator[str]:
    """Every file under the inputs that the options take, in a stable order, as found.

    Hidden files and folders inside folders are skipped, and so is `exclude` (the output
    directory, which may well sit inside an input folder).
    """
    options = options or DiscoveryOptions()
    excluded = (
        Path(exclude).resolve() if exclude is not None and not is_remote(str(exclude)) else None
    )
    found = (
        location for given in map(str, inputs) for location in _files_of(given, excluded, options)
    )
    return islice(found, options.limit) if options.limit is not None else found


def count(
    inputs: Iterable[str | Path],
    exclude: str | Path | None = None,
    options: DiscoveryOptions | None = None,
) -> int:
    """How many files `discover` yields, without keeping them (for a progress bar's total)."""
    return sum(1 for _ in discover(inputs, exclude, options))


def shards(locations: Iterable[str], size: int) -> Iterator[list[str]]:
    """Consecutive groups of at most `size` files: the unit of work of a Prefect task."""
    iterator = iter(locations)
    while batch := list(islice(iterator, size)):
        yield batch


def _exists(location: str) -> bool:
    if is_remote(location):
        fs, path = remote_filesystem(location)
        return bool(fs.exists(path))
    return Path(location).exists()


def _files_of(given: str, excluded: Path | None, options: DiscoveryOptions) -> Iterator[str]:
    if is_remote(given):
        yield from _remote_files(given, options)
    elif Path(given).is_dir():
        yield from _local_files(Path(given), excluded, options)
    elif options.takes(Path(given).name) and _recent_enough(given, options):
        yield given


def _local_files(folder: Path, excluded: Path | None, options: DiscoveryOptions) -> Iterator[str]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and Path(root, d).resolve() != excluded
        )
        relative_root = Path(root).relative_to(folder).as_posix()
        for name in sorted(files):
            if name.startswith("."):
                continue
            relative = name if relative_root == "." else f"{relative_root}/{name}"
            path = str(Path(root, name))
            if options.takes(relative) and _recent_enough(path, options):
                yield path


def _recent_enough(path: str, options: DiscoveryOptions) -> bool:
    if options.modified_since is None:
        return True
    try:
        return Path(path).stat().st_mtime >= options.modified_since.timestamp()
    except OSError:
        return True  # unreadable: let it through, so that it becomes an error row that says so


def _remote_files(url: str, options: DiscoveryOptions) -> Iterator[str]:
    fs, root = remote_filesystem(url)
    if not fs.isdir(root):
        if options.takes(PurePosixPath(root).name) and _remote_recent(fs, root, options):
            yield url
        return
    for folder, dirs, files in fs.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = f"{folder.rstrip('/')}/{name}"
            relative = PurePosixPath(path).relative_to(PurePosixPath(root)).as_posix()
            if options.takes(relative) and _remote_recent(fs, path, options):
                yield fs.unstrip_protocol(path)


def _remote_recent(fs: AbstractFileSystem, path: str, options: DiscoveryOptions) -> bool:
    if options.modified_since is None:
        return True
    try:
        modified = fs.modified(path)
    except NotImplementedError:
        raise RunAbortedError(
            f"--since: {fs.protocol} storage does not report modification times"
        ) from None
    since = options.modified_since
    if modified.tzinfo is None:
        modified = modified.astimezone()  # naive times from fsspec are local
    if since.tzinfo is None:
        since = since.astimezone()
    return bool(modified >= since)
