"""Finding input files as a stream: files as given, folders recursed, filters applied on the way.

An archive of hundreds of thousands of files is never listed whole: folders are walked one
at a time and each file is filtered and handed on as it is found, so memory holds one folder's
names, not the archive's.
"""

from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import TypeVar

from fsspec import AbstractFileSystem

from extractors.discover.local_walk import (
    FoundInput,
    PageSlice,
    refused_if_special,
    walk_folder,
)
from extractors.discover.storage import absolute_location, is_remote, remote_filesystem
from extractors.errors import RunAbortedError
from extractors.options import DiscoveryOptions

T = TypeVar("T")


def check_inputs(inputs: Iterable[str]) -> None:
    """Raise RunAbortedError for an input that does not exist (a bad argument, not a bad file)."""
    missing = [location for location in inputs if not _exists(location)]
    if missing:
        raise RunAbortedError(f"input not found: {', '.join(missing)}")


def discover(
    inputs: Iterable[str | Path],
    exclude: Iterable[str | Path] = (),
    options: DiscoveryOptions | None = None,
) -> Iterator[FoundInput]:
    """Every file under the inputs that the options take, in a stable order, as found.

    Local files are named by their absolute path, links resolved, so an input given twice
    (once relative, once absolute) is walked once. Hidden files and folders inside folders
    are skipped, and so is every folder in `exclude` (the output directory, which may sit
    inside an input folder, and its dataset folders, for an output that is an input).
    A FIFO, socket or device, or a folder that cannot be listed, comes as a `RefusedInput`.
    """
    options = options or DiscoveryOptions()
    excluded = frozenset(
        Path(location).resolve() for location in map(str, exclude) if not is_remote(location)
    )
    found = (
        location
        for given in distinct_inputs(map(str, inputs))
        for location in _files_of(given, excluded, options)
    )
    return islice(found, options.limit) if options.limit is not None else found


def distinct_inputs(inputs: Iterable[str]) -> list[str]:
    """The inputs as absolute locations, each once; one inside another folder given is left
    to that folder's walk."""
    distinct: list[str] = []
    for location in map(absolute_location, inputs):
        if location not in distinct:
            distinct.append(location)
    local = [Path(p) for p in distinct if not is_remote(p)]
    return [
        p
        for p in distinct
        if is_remote(p) or not any(folder in Path(p).parents for folder in local)
    ]


def count(
    inputs: Iterable[str | Path],
    exclude: Iterable[str | Path] = (),
    options: DiscoveryOptions | None = None,
) -> int:
    """How many files `discover` yields, without keeping them (for a progress bar's total)."""
    return sum(1 for _ in discover(inputs, exclude, options))


def shards(locations: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive groups of at most `size` files: the unit of work of a Prefect task.

    A long document's slice (`PageSlice`) is a shard of its own: it is already a shard's
    worth of pages, and its document's other slices must be free to go to other workers.
    """
    batch: list[T] = []
    for location in locations:
        if isinstance(location, PageSlice):
            if batch:
                yield batch
                batch = []
            yield [location]
            continue
        batch.append(location)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _exists(location: str) -> bool:
    if is_remote(location):
        fs, path = remote_filesystem(location)
        return bool(fs.exists(path))
    return Path(location).exists()


def _files_of(
    given: str, excluded: frozenset[Path], options: DiscoveryOptions
) -> Iterator[FoundInput]:
    if is_remote(given):
        yield from _remote_files(given, options)
    elif Path(given).is_dir():

        def takes(relative: str, path: str) -> bool:
            return options.takes(relative) and _recent_enough(path, options)

        yield from walk_folder(Path(given), excluded, takes)
    elif options.takes(Path(given).name) and _recent_enough(given, options):
        yield refused_if_special(given) or given


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
