"""Finding input files: files as given, folders recursed, as a stream (never a full list)."""

import os
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

from extractors.errors import RunAbortedError


def check_inputs(inputs: Iterable[Path]) -> None:
    """Raise RunAbortedError for an input that does not exist (a bad argument, not a bad file)."""
    missing = [str(path) for path in inputs if not path.exists()]
    if missing:
        raise RunAbortedError(f"input not found: {', '.join(missing)}")


def discover(inputs: Iterable[Path], exclude: Path | None = None) -> Iterator[Path]:
    """Every file under the inputs, in a stable order.

    Hidden files inside folders are skipped, and so is `exclude` (the output directory, which
    may well sit inside an input folder).
    """
    excluded = exclude.resolve() if exclude is not None else None
    for path in inputs:
        if path.is_dir():
            yield from _walk(path, excluded)
        else:
            yield path


def _walk(folder: Path, excluded: Path | None) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and (Path(root) / d).resolve() != excluded
        )
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def shards(paths: Iterable[Path], size: int) -> Iterator[list[Path]]:
    """Consecutive groups of at most `size` files: the unit of work of a Prefect task."""
    iterator = iter(paths)
    while batch := list(islice(iterator, size)):
        yield batch
