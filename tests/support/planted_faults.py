"""Faults planted in the pipeline for tests of how a run answers them, in-process (with
pytest's monkeypatch) or in a CLI subprocess (tests/support/patched_cli.py)."""

import errno
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa

import extractors.sink.store as store_module
from schemas import PageRow


class PlantedBug(RuntimeError):
    """The exception a planted fault raises: a bug of ours, as far as the run can tell."""


def disk_full_after(writes: int) -> Callable[[pa.Table, Path], None]:
    """A part writer whose writes after the first `writes` fail as on a full disk."""
    write = store_module.write_atomically
    done = [0]

    def writing(table: pa.Table, target: Path) -> None:
        if done[0] >= writes:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        done[0] += 1
        write(table, target)

    return writing


def record_failing_for(stem: str) -> Callable[[PageRow], dict[str, Any]]:
    """`PageRow.as_record`, except that ok rows of the input named `stem` fail."""
    as_record = PageRow.as_record

    def recording(row: PageRow) -> dict[str, Any]:
        if row.status == "ok" and Path(row.source).stem == stem:
            raise PlantedBug(f"planted bug in {stem}")
        return as_record(row)

    return recording


def plant(fault: str) -> None:
    """Plant `disk-full-after:N` or `row-fails:STEM` for the rest of this process."""
    kind, _, argument = fault.partition(":")
    if kind == "disk-full-after":
        store_module.write_atomically = disk_full_after(int(argument))  # type: ignore[assignment]
    elif kind == "row-fails":
        PageRow.as_record = record_failing_for(argument)  # type: ignore[method-assign]
    else:
        raise ValueError(f"unknown fault {fault}")
