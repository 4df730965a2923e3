"""The batches of a run, recorded in `DIR/batches/` before anything waits on them, so that a
killed run, a `--no-wait` run or a run on another day resumes them instead of submitting
them again."""

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from extractors.batch.files import BatchInput

BATCHES = "batches"
_STATE = "state.json"
# The custom_ids of a plan's lines that are in the dataset, one a line, appended as they are.
_ANSWERED = "answered.txt"

# Statuses after which a batch changes no more (OpenAI's names; other flavours map to them).
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})


@dataclass
class BatchRecord:
    """One input file and what became of it at the provider."""

    name: str
    lines: int
    bytes: int
    model: str
    input_file_id: str | None = None
    batch_id: str | None = None
    status: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    created_at: float | None = None
    finished_at: float | None = None
    ingested: bool = False

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def turnaround_ms(self) -> float:
        """From creation to the end, as the provider tells it: a batch row's latency."""
        if self.created_at is None or self.finished_at is None:
            return 0.0
        return max(0.0, (self.finished_at - self.created_at) * 1000)


@dataclass
class BatchPlan:
    """A run's batch files and batches; `collected` once every answer is in the dataset."""

    run_id: str
    flavour: str
    batches: list[BatchRecord]
    submitted: bool = True
    collected: bool = False
    # The run's parameters (never a secret): what `visionbatch ingest` makes its rows with.
    request: dict[str, Any] = field(default_factory=dict)

    @property
    def waiting(self) -> list[BatchRecord]:
        return [record for record in self.batches if not record.terminal]


class BatchStore:
    """`DIR/batches/`: the input files, their page maps and `state.json` (written atomically)."""

    def __init__(self, out_dir: Path) -> None:
        self.folder = Path(out_dir) / BATCHES

    def input_path(self, record: BatchRecord) -> Path:
        return self.folder / f"{record.name}.jsonl"

    def map_path(self, record: BatchRecord) -> Path:
        return self.folder / f"{record.name}.map.jsonl"

    def run_folder(self, run_id: str) -> Path:
        """Where a run's input files are written."""
        return self.folder / run_id

    def answered(self, plan: BatchPlan) -> set[str]:
        """The custom_ids of the plan's lines already ingested (by `visionbatch ingest`)."""
        path = self.run_folder(plan.run_id) / _ANSWERED
        if not path.exists():
            return set()
        with path.open(encoding="utf-8") as handle:
            return {line.rstrip("\n") for line in handle if line.strip()}

    def add_answered(self, plan: BatchPlan, custom_ids: Iterable[str]) -> None:
        """Record lines as ingested, once their rows are written: a kill between the two
        ingests them again, never loses them."""
        path = self.run_folder(plan.run_id) / _ANSWERED
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.writelines(f"{custom_id}\n" for custom_id in custom_ids)
            handle.flush()
            os.fsync(handle.fileno())

    def load(self) -> BatchPlan | None:
        """The recorded plan, or None when no batch run is in progress."""
        path = self.folder / _STATE
        if not path.exists():
            return None
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        records = [BatchRecord(**record) for record in data.pop("batches")]
        return BatchPlan(batches=records, **data)

    def save(self, plan: BatchPlan) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / _STATE
        temp = target.with_suffix(".json.partial")
        temp.write_text(json.dumps(asdict(plan), indent=1), encoding="utf-8")
        temp.replace(target)

    def finish(self, plan: BatchPlan) -> None:
        """Every answer is in: the plan is kept under its run id, out of the way of the next."""
        plan.collected = True
        self.save(plan)
        (self.folder / _STATE).replace(self.folder / f"state-{plan.run_id}.json")

    def new_plan(
        self,
        run_id: str,
        flavour: str,
        inputs: list[BatchInput],
        submitted: bool,
        request: dict[str, Any],
    ) -> BatchPlan:
        records = [BatchRecord(f"{run_id}/{i.name}", i.lines, i.bytes, i.model) for i in inputs]
        plan = BatchPlan(run_id, flavour, records, submitted=submitted, request=request)
        self.save(plan)
        return plan
