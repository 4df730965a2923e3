"""A batch job of the test server: its states, advanced one step per poll, and its results."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .lines import InputLine, answer_line, expired_line

# OpenAI's states in order, and Mistral's names for the same steps.
OPENAI_STEPS = ("validating", "in_progress", "finalizing", "completed")
MISTRAL_STEPS = ("QUEUED", "RUNNING", "RUNNING", "SUCCESS")
_MISTRAL_ENDS = {"expired": "TIMEOUT_EXCEEDED", "failed": "FAILED", "cancelled": "CANCELLED"}


@dataclass
class BatchJob:
    """One batch: created from a file, finished after `steps` polls, then its files exist."""

    id: str
    flavour: str  # "openai" or "mistral"
    input_file_id: str
    lines: list[InputLine]
    line_faults: Mapping[int, str]
    # Lines it runs before it expires (None: all of them, then `completed`).
    expire_after: int | None
    # Scaleway: the input object's URL without `.jsonl`; results go to `{it}-output.jsonl`.
    results_beside: str | None = None
    created_at: int = field(default_factory=lambda: int(time.time()))
    polls: int = 0
    finished_at: int | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    counts: dict[str, int] = field(default_factory=lambda: {"completed": 0, "failed": 0})

    @property
    def step(self) -> int:
        return min(self.polls, len(OPENAI_STEPS) - 1)

    @property
    def finished(self) -> bool:
        return self.step == len(OPENAI_STEPS) - 1

    @property
    def openai_status(self) -> str:
        if self.finished and self.expire_after is not None:
            return "expired"
        return OPENAI_STEPS[self.step]

    def advance(self, store_file: Callable[[bytes, str], str], next_id: Callable[[], int]) -> None:
        """One poll: the next state; on reaching the last one, the output and error files."""
        was_finished = self.finished
        self.polls += 1
        if self.finished and not was_finished:
            self._finish(store_file, next_id)

    def _finish(self, store_file: Callable[[bytes, str], str], next_id: Callable[[], int]) -> None:
        output: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for line in self.lines:
            if self.expire_after is not None and line.index >= self.expire_after:
                errors.append(expired_line(line, next_id()))
                self.counts["failed"] += 1
                continue
            where, out = answer_line(line, self.line_faults.get(line.index), next_id())
            if where == "drop":
                continue
            (output if where == "output" else errors).append(out)
            self.counts["completed" if where == "output" else "failed"] += 1
        # Lines come back in no particular order: reversed, so that nobody relies on it.
        self.output_file_id = store_file(_jsonl(reversed(output)), f"{self.id}-output.jsonl")
        if errors:
            self.error_file_id = store_file(_jsonl(errors), f"{self.id}-error.jsonl")
        if self.results_beside is not None:
            _write_beside(self.results_beside, "-output", output[::-1])
            if errors:
                _write_beside(self.results_beside, "-error", errors)
        self.finished_at = int(time.time())

    def view(self) -> dict[str, Any]:
        """What GET answers for this batch, in the job's flavour."""
        if self.flavour == "mistral":
            return self._mistral_view()
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "input_file_id": self.input_file_id,
            "completion_window": "24h",
            "status": self.openai_status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": self.created_at,
            "completed_at": self.finished_at,
            "request_counts": {"total": len(self.lines), **self.counts},
        }

    def _mistral_view(self) -> dict[str, Any]:
        status = MISTRAL_STEPS[self.step]
        if self.finished:
            status = _MISTRAL_ENDS.get(self.openai_status, status)
        done = self.counts["completed"] + self.counts["failed"]
        return {
            "id": self.id,
            "object": "batch",
            "input_files": [self.input_file_id],
            "endpoint": "/v1/chat/completions",
            "model": self.lines[0].model if self.lines else None,
            "status": status,
            "output_file": self.output_file_id,
            "error_file": self.error_file_id,
            "errors": [],
            "created_at": self.created_at,
            "completed_at": self.finished_at,
            "total_requests": len(self.lines),
            "completed_requests": done,
            "succeeded_requests": self.counts["completed"],
            "failed_requests": self.counts["failed"],
        }


def _jsonl(lines: Any) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def _write_beside(base: str, suffix: str, lines: list[dict[str, Any]]) -> None:
    import fsspec

    with fsspec.open(f"{base}{suffix}.jsonl", "wb") as handle:
        handle.write(_jsonl(lines))
