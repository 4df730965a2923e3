"""Identifying an input: the hash of its bytes and its format."""

import hashlib
import stat
from pathlib import Path

from extractors.discover.formats import (
    detect_format,
)
from extractors.discover.local_walk import refusal, special_kind
from extractors.errors import SourceError
from extractors.records import SourceFile

_HASH_BLOCK = 1 << 20


class UnreadSourceError(SourceError):
    """A file that is no document we read; carries what is known of it for its error row."""

    def __init__(self, message: str, source: SourceFile) -> None:
        super().__init__(message)
        self.source = source


def identify(path: Path, location: str | None = None) -> SourceFile:
    """Hash a file and detect its format; UnreadSourceError for unreadable or unsupported files.

    `location` is where the file was found when `path` is a local copy of a remote input.
    """
    shown = location or str(path)
    try:
        _refuse_special(path)
        sha256, head = _hash_file(path)
    except _SpecialFileError as exc:
        raise UnreadSourceError(str(exc), source_without_format(shown, "")) from None
    except OSError as exc:
        message = f"cannot read file: {exc.strerror or exc}"
        raise UnreadSourceError(message, source_without_format(shown, "")) from exc
    local = str(path) if location else ""
    try:
        return SourceFile(shown, sha256, detect_format(path, head), local_path=local)
    except SourceError as exc:
        raise UnreadSourceError(str(exc), source_without_format(shown, sha256)) from exc


def source_without_format(location: str, sha256: str) -> SourceFile:
    """A SourceFile for a file whose format is unknown: the suffix stands in for it."""
    suffix = Path(location).suffix.lower().lstrip(".")
    return SourceFile(path=location, sha256=sha256, format=suffix or "?")


def hash_or_blank(path: Path) -> str:
    """The file's SHA-256, or "" when it cannot be read."""
    try:
        return _hash_file(path)[0]
    except OSError:
        return ""


class _SpecialFileError(SourceError):
    """Not a regular file: opening a FIFO blocks until a writer comes, which may be never."""


def _refuse_special(path: Path) -> None:
    """Refuse, by `stat` alone, a file that became a FIFO or device after discovery."""
    mode = path.stat().st_mode
    kind = None if stat.S_ISDIR(mode) else special_kind(mode)
    if kind is not None:
        raise _SpecialFileError(refusal(kind))


def _hash_file(path: Path) -> tuple[str, bytes]:
    """SHA-256 of a file, read in blocks, and its first block (for format detection)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        head = handle.read(_HASH_BLOCK)
        block = head
        while block:
            digest.update(block)
            block = handle.read(_HASH_BLOCK)
    return digest.hexdigest(), head
