"""A provider's batch API: upload a file, create a batch, ask its status, stream its files.

OpenAI's routes (`/files`, `/batches`) serve OpenAI, Scaleway-style and bare `--base-url`
endpoints; Mistral's jobs live under `/batch/jobs` with their own status names.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from extractors.batch.lines import CHAT_COMPLETIONS
from extractors.batch.storage import ObjectStorageFiles
from extractors.errors import BatchApiError
from extractors.options import BatchFlavour

# Mistral's job statuses in OpenAI's words.
_MISTRAL_STATUS = {
    "QUEUED": "validating",
    "RUNNING": "in_progress",
    "SUCCESS": "completed",
    "FAILED": "failed",
    "TIMEOUT_EXCEEDED": "expired",
    "CANCELLATION_REQUESTED": "cancelling",
    "CANCELLED": "cancelled",
}
# A status poll or download that fails transiently is tried again this many times.
_ATTEMPTS = 4
_RETRIED = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class BatchStatus:
    """What the provider says of one batch, in OpenAI's words whatever the flavour."""

    batch_id: str
    status: str
    total: int
    completed: int
    failed: int
    output_file_id: str | None
    error_file_id: str | None
    created_at: float | None
    finished_at: float | None


class BatchApi:
    """The batch calls of one endpoint, `Authorization: Bearer KEY` on every one."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        flavour: BatchFlavour,
        redact: Callable[[str], str],
        timeout: float = 300.0,
        storage: ObjectStorageFiles | None = None,
    ) -> None:
        self.flavour = flavour
        self.redact = redact
        # Scaleway: input and results in Object Storage instead of the files API.
        self.storage = storage
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/", headers=headers, timeout=timeout
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def upload(self, path: Path, name: str) -> str:
        """POST files (multipart, `purpose=batch`), streamed from disk: the file id; with
        Object Storage, the URL of the object `name` uploaded."""
        if self.storage is not None:
            try:
                return await self.storage.put(path, name)
            except (OSError, NotImplementedError) as exc:
                raise BatchApiError(
                    self.redact(f"cannot upload {name} to storage: {exc}")
                ) from None
        with path.open("rb") as handle:
            files = {"file": (path.name, handle, "application/jsonl")}
            answer = await self._call("POST", "files", data={"purpose": "batch"}, files=files)
        return str(answer["id"])

    async def create(self, input_file_id: str, model: str) -> BatchStatus:
        """A batch of the uploaded file (Scaleway: from a pre-signed URL of its object)."""
        if self.storage is not None:
            try:
                input_file_id = await self.storage.signed(input_file_id)
            except (OSError, NotImplementedError) as exc:
                raise BatchApiError(
                    self.redact(f"cannot pre-sign {input_file_id}: {exc}")
                ) from None
        if self.flavour == "mistral":
            body: dict[str, Any] = {
                "input_files": [input_file_id],
                "endpoint": CHAT_COMPLETIONS,
                "model": model,
                "timeout_hours": 24,
            }
            return _status(await self._call("POST", "batch/jobs", json=body), self.flavour)
        body = {
            "input_file_id": input_file_id,
            "endpoint": CHAT_COMPLETIONS,
            "completion_window": "24h",
        }
        return _status(await self._call("POST", "batches", json=body), self.flavour)

    async def status(self, batch_id: str) -> BatchStatus:
        route = f"batch/jobs/{batch_id}" if self.flavour == "mistral" else f"batches/{batch_id}"
        return _status(await self._call("GET", route), self.flavour)

    def results(self, name: str, file_ids: list[str | None]) -> list[AsyncIterator[str]]:
        """The output and error files of a finished batch, as line streams."""
        if self.storage is not None:
            return self.storage.results(name)
        return [self.lines(file_id) for file_id in file_ids if file_id]

    async def lines(self, file_id: str) -> AsyncIterator[str]:
        """The lines of a file's content, streamed: a file is never held whole."""
        async with self._http.stream("GET", f"files/{file_id}/content") as response:
            if response.status_code >= 400:
                await response.aread()
                raise self._error("GET", f"files/{file_id}/content", response)
            async for line in response.aiter_lines():
                if line.strip():
                    yield line

    async def _call(self, method: str, route: str, **kwargs: Any) -> dict[str, Any]:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                response = await self._http.request(method, route, **kwargs)
            except httpx.TransportError as exc:
                if attempt == _ATTEMPTS or method == "POST":
                    raise BatchApiError(self.redact(f"{method} {route}: {exc!r}")) from None
                await asyncio.sleep(2**attempt)
                continue
            if response.status_code < 400:
                answer: dict[str, Any] = response.json()
                return answer
            if response.status_code not in _RETRIED or attempt == _ATTEMPTS or method == "POST":
                raise self._error(method, route, response)
            await asyncio.sleep(2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _error(self, method: str, route: str, response: httpx.Response) -> BatchApiError:
        detail = " ".join(response.text.split())[:300]
        if response.status_code in (401, 403):
            what = f"authentication refused by {self._http.base_url}"
            return BatchApiError(self.redact(f"{what} (HTTP {response.status_code}): {detail}"))
        message = f"batch API {method} {route}: HTTP {response.status_code}: {detail}"
        return BatchApiError(self.redact(message))


def _status(answer: dict[str, Any], flavour: BatchFlavour) -> BatchStatus:
    if flavour == "mistral":
        return BatchStatus(
            str(answer["id"]),
            _MISTRAL_STATUS.get(str(answer.get("status")), str(answer.get("status"))),
            int(answer.get("total_requests") or 0),
            int(answer.get("succeeded_requests") or 0),
            int(answer.get("failed_requests") or 0),
            answer.get("output_file"),
            answer.get("error_file"),
            answer.get("created_at"),
            answer.get("completed_at"),
        )
    counts = answer.get("request_counts") or {}
    finished = next(
        (
            answer[k]
            for k in ("completed_at", "expired_at", "failed_at", "cancelled_at")
            if answer.get(k)
        ),
        None,
    )
    return BatchStatus(
        str(answer["id"]),
        str(answer.get("status")),
        int(counts.get("total") or 0),
        int(counts.get("completed") or 0),
        int(counts.get("failed") or 0),
        answer.get("output_file_id"),
        answer.get("error_file_id"),
        answer.get("created_at"),
        finished,
    )
