"""Writing batch input files within a provider's limits: lines, bytes, one model per file."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from extractors.batch.lines import LineMap, batch_line, line_map
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
    starting a new file before one would pass the line or byte limit or mix models."""

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
    """A file's page map by custom_id."""
    with path.open("rb") as handle:
        maps = (LineMap.from_json(raw) for raw in handle if raw.strip())
        return {mapped.custom_id: mapped for mapped in maps}
