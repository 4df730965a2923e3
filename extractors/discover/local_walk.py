"""Walking a local folder: regular files handed on, everything else said out loud.

`os.walk` drops a folder it cannot list without a word, and hands on a FIFO as a file (whose
`open()` then blocks for ever). Here a folder is listed with `os.scandir`, whose entries know
their type without a `stat` for most filesystems; a folder that cannot be listed, a FIFO, a
socket, a device or a link to a folder becomes a `RefusedInput`, which ends as an error row.
"""

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from extractors.discover.page_ranges import PageRanges
from extractors.discover.storage import displayed_location


@dataclass(frozen=True)
class RefusedInput:
    """An input found but never to be opened (a FIFO, a folder that cannot be listed).

    `location` is as rows show it (see `displayed_location`); `reason` is its row's error.
    """

    location: str
    reason: str


@dataclass(frozen=True)
class PageSlice:
    """Some pages of a long document: a shard of its own, so that a document's slices go to
    different Dask workers (`page_slices.py` cuts them).

    `pages` are the slice's pages (those of `--pages` among them), `page_count` the document's
    as counted when it was sliced; the slice is `part` of `parts`, and the last one counts the
    document as done.
    """

    location: str
    pages: PageRanges
    page_count: int
    part: int = 1
    parts: int = 1

    @property
    def closes_document(self) -> bool:
        return self.part == self.parts

    @property
    def shown(self) -> str:
        """The slice as a log line names it: `scan.pdf (pages 201-400)`."""
        numbers = self.pages.of(self.page_count)
        return f"{self.location} (pages {numbers[0]}-{numbers[-1]})" if numbers else self.location


# What discovery hands on: a location to read, one refused with its reason, or a long
# document's slice of pages.
FoundInput = str | RefusedInput | PageSlice


_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)


def special_kind(mode: int) -> str | None:
    """What a file that is not a regular file is (`FIFO`, `socket`...); None for a regular one."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _SPECIAL_KINDS if test(mode)), "special file")


def refused_if_special(path: str) -> RefusedInput | None:
    """A RefusedInput for a path that is not a regular file, told by `stat` (never `open`)."""
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return None  # a broken link, say: reading it gives the row its reason
    if stat.S_ISDIR(mode):
        return None
    kind = special_kind(mode)
    return None if kind is None else RefusedInput(displayed_location(path), refusal(kind))


def refusal(kind: str) -> str:
    """The error of an input that is not a regular file."""
    return f"not a regular file: {kind}"


# Whether a file (by its path under the folder given, and its full path) is taken.
FileFilter = Callable[[str, str], bool]


def walk_folder(folder: Path, excluded: frozenset[Path], takes: FileFilter) -> Iterator[FoundInput]:
    """Every taken file under `folder`, files of a folder before its subfolders, by name.

    Hidden names are skipped; so are folders in `excluded` (the run's own output).
    """
    yield from _walk(str(folder), "", excluded, takes)


def _walk(
    folder: str, relative: str, excluded: frozenset[Path], takes: FileFilter
) -> Iterator[FoundInput]:
    try:
        with os.scandir(folder) as listing:
            entries = sorted((e for e in listing if not e.name.startswith(".")), key=_name)
    except OSError as exc:
        yield RefusedInput(displayed_location(folder), f"cannot list folder: {_reason(exc)}")
        return
    subfolders = []
    for entry in entries:
        under = f"{relative}{entry.name}"
        if _is_folder(entry):
            if Path(entry.path).resolve() not in excluded:
                subfolders.append((entry.path, f"{under}/"))
        elif (found := _entry(entry, under, takes)) is not None:
            yield found
    for path, under in subfolders:
        yield from _walk(path, under, excluded, takes)


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _entry(entry: os.DirEntry[str], under: str, takes: FileFilter) -> FoundInput | None:
    """A file's entry as found (its path, or a refusal), or None when the filters skip it."""
    try:
        if entry.is_file():
            return entry.path if takes(under, entry.path) else None
        if entry.is_dir():  # a link to a folder: never followed (it may loop back)
            return _refused(entry.path, "a link to a folder (links are not followed)", under, takes)
        mode = entry.stat().st_mode
    except OSError:
        return entry.path if takes(under, entry.path) else None  # a broken link: its row says so
    return _refused(entry.path, refusal(special_kind(mode) or "special file"), under, takes)


def _refused(path: str, reason: str, under: str, takes: FileFilter) -> RefusedInput | None:
    return RefusedInput(displayed_location(path), reason) if takes(under, path) else None


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
