"""Writing batch input files within a provider's limits: lines, bytes, one model per file."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from extractors.batch.lines import LineMap, PageCopy, batch_line, line_map, map_record
from extractors.options import BatchOptions
from extractors.records import PreparedRequest


@dataclass(frozen=True)
class BatchInput:
    """One finished input file and its page map."""

    name: str
    path: Path
    map_path: Path
    lines: int
    bytes: int
    model: str


class BatchFileWriter:
    """Streams request lines into `input-NNNN.jsonl` files (and `.map.jsonl` beside them),
    starting a new file before one would pass the line or byte limit or mix models. A page
    copying a line's page is recorded in the map of the file that holds that line."""

    def __init__(
        self,
        folder: Path,
        options: BatchOptions,
        body_of: Callable[[PreparedRequest], dict[str, Any]],
    ) -> None:
        self.folder = folder
        self.options = options
        self.body_of = body_of
        self.finished: list[BatchInput] = []
        self._open: tuple[IO[bytes], IO[bytes]] | None = None
        self._lines = 0
        self._bytes = 0
        self._model = ""
        # The file (1-based) each line went into, for its copies' records.
        self._file_of: dict[str, int] = {}
        folder.mkdir(parents=True, exist_ok=True)

    def add(self, request: PreparedRequest, page_count: int) -> None:
        """One request as a line of the current file, and its pages in the map."""
        body = self.body_of(request)
        line = batch_line(request.request_id, body, self.options.flavour)
        model = str(body.get("model", ""))
        if self._open is not None and not self._fits(len(line), model):
            self._close_current()
        if self._open is None:
            self._start(model)
        self._write(line, line_map(request, page_count))
        self._file_of[request.request_id] = len(self.finished) + 1

    def add_copy(self, copy: PageCopy) -> None:
        """A page that takes the answer of a line already written: recorded after that line,
        in its file's map (a closed file's map is appended to: maps are read only at ingest,
        after planning)."""
        number = self._file_of[copy.copy_of]
        if self._open is not None and number == len(self.finished) + 1:
            self._open[1].write(copy.to_json())
            return
        with self.finished[number - 1].map_path.open("ab") as maps:
            maps.write(copy.to_json())

    def close(self) -> list[BatchInput]:
        """Every file written, the current one finished."""
        self._close_current()
        return self.finished

    def _fits(self, size: int, model: str) -> bool:
        return (
            model == self._model
            and self._lines < self.options.max_lines
            and self._bytes + size <= self.options.max_bytes
        )

    def _start(self, model: str) -> None:
        name = f"input-{len(self.finished) + 1:04d}"
        self._open = (
            (self.folder / f"{name}.jsonl").open("wb"),
            (self.folder / f"{name}.map.jsonl").open("wb"),
        )
        self._lines, self._bytes, self._model = 0, 0, model

    def _write(self, line: bytes, mapped: LineMap) -> None:
        assert self._open is not None
        lines, maps = self._open
        lines.write(line)
        maps.write(mapped.to_json())
        self._lines += 1
        self._bytes += len(line)

    def _close_current(self) -> None:
        if self._open is None:
            return
        lines, maps = self._open
        lines.close()
        maps.close()
        path = Path(lines.name)
        name = path.name.removesuffix(".jsonl")
        self.finished.append(
            BatchInput(name, path, Path(maps.name), self._lines, self._bytes, self._model)
        )
        self._open = None


def read_line_maps(path: Path) -> dict[str, LineMap]:
    """A file's page map by custom_id, each line with the pages that copy its own (a map
    written before copies were planned has none)."""
    maps: dict[str, LineMap] = {}
    copies: dict[str, list[PageCopy]] = {}
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            record = map_record(raw)
            if isinstance(record, PageCopy):
                copies.setdefault(record.copy_of, []).append(record)
            else:
                maps[record.custom_id] = record
    for custom_id, copied in copies.items():
        maps[custom_id] = replace(maps[custom_id], copies=tuple(copied))
    return maps
