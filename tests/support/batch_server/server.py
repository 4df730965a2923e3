"""BatchServer: a ChatServer that also keeps files and runs batches of chat requests."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from chat_server import ChatServer

from .handler import BatchHandler
from .jobs import BatchJob
from .lines import check_input, read_input

# OpenAI's limit of requests per batch file.
MAX_LINES = 50_000


class BatchServer(ChatServer):
    """Files and batches on 127.0.0.1, beside chat completions (for asking again online).

    A batch moves one state per poll (validating, in_progress, finalizing, completed), so a
    test decides how long it waits by how often it polls, not by the clock.
    """

    handler_class = BatchHandler

    def __init__(self, *, max_lines: int = MAX_LINES, **chat: Any) -> None:
        super().__init__(**chat)
        self.max_lines = max_lines
        # Faults of the lines of every batch created from now on, by 0-based line index.
        self.line_faults: Mapping[int, str] = {}
        # Lines a batch runs before it expires (None: every line, then completed).
        self.expire_after: int | None = None
        self.files: dict[str, tuple[bytes, str]] = {}
        self.jobs: dict[str, BatchJob] = {}
        self.calls: list[tuple[str, str]] = []
        self.authorizations: list[str | None] = []
        # Odd answers by step ("upload", "create", "poll", "download"), each given once, in
        # order, instead of the real one: (status, body, headers).
        self.odd_answers: dict[str, list[tuple[int, bytes, dict[str, str]]]] = {}
        self._batch_lock = threading.Lock()
        self._serial = 0

    @property
    def created(self) -> int:
        """Batches created so far."""
        return len(self.jobs)

    def record_call(self, method: str, path: str, authorization: str | None) -> None:
        with self._batch_lock:
            self.calls.append((method, path.split("?", 1)[0]))
            self.authorizations.append(authorization)

    def odd_answer(self, step: str) -> tuple[int, bytes, dict[str, str]] | None:
        """The next odd answer planted for this step, or None to answer normally."""
        with self._batch_lock:
            planted = self.odd_answers.get(step)
            return planted.pop(0) if planted else None

    def upload(self, fields: Mapping[str, str], data: bytes, filename: str) -> tuple[int, Any]:
        """POST /files: (status, body)."""
        if fields.get("purpose") != "batch":
            return 400, "purpose must be batch"
        file_id = self.store_file(data, filename)
        return 200, {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "filename": filename,
            "purpose": "batch",
        }

    def store_file(self, data: bytes, filename: str) -> str:
        with self._batch_lock:
            self._serial += 1
            file_id = f"file-{self._serial}"
            self.files[file_id] = (data, filename)
        return file_id

    def file_content(self, file_id: str) -> bytes | None:
        with self._batch_lock:
            stored = self.files.get(file_id)
        return stored[0] if stored is not None else None

    def create(self, file_id: Any, flavour: str, payload: Mapping[str, Any]) -> tuple[int, Any]:
        """POST /batches or /batch/jobs: 400 for a file that cannot make a batch."""
        beside = None
        data = self.file_content(str(file_id))
        if data is None and "://" in str(file_id):
            # Scaleway: a pre-signed URL of an object; results are written beside it.
            data, beside = _read_object(str(file_id))
        if data is None:
            return 400, f"No such input file: {file_id}"
        if flavour == "openai" and payload.get("endpoint") != "/v1/chat/completions":
            return 400, "endpoint must be /v1/chat/completions"
        try:
            lines = read_input(data)
        except ValueError as exc:
            return 400, str(exc)
        problem = check_input(lines, self.max_lines, openai_lines=flavour == "openai")
        if problem is not None:
            return 400, problem
        with self._batch_lock:
            self._serial += 1
            job = BatchJob(
                f"batch_{self._serial}",
                flavour,
                str(file_id),
                lines,
                dict(self.line_faults),
                self.expire_after,
                results_beside=beside,
            )
            self.jobs[job.id] = job
        return 200, job.view()

    def poll(self, batch_id: str) -> tuple[int, Any]:
        """GET /batches/{id}: the batch one state further on."""
        with self._batch_lock:
            job = self.jobs.get(batch_id)
        if job is None:
            return 404, f"No such batch: {batch_id}"
        job.advance(self.store_file, self._next_id)
        return 200, job.view()


def _read_object(url: str) -> tuple[bytes | None, str | None]:
    """The object a (fake) pre-signed URL points to, read through fsspec, and its base name."""
    import fsspec

    plain = url.split("?", 1)[0]
    try:
        with fsspec.open(plain, "rb") as handle:
            data: bytes = handle.read()
    except FileNotFoundError:
        return None, None
    return data, plain.removesuffix(".jsonl")
