"""A provider's batch API: upload a file, create a batch, ask its status, stream its files.

OpenAI's routes (`/files`, `/batches`) serve OpenAI, Scaleway-style and bare `--base-url`
endpoints; Mistral's jobs live under `/batch/jobs` with their own status names.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from extractors.batch.lines import CHAT_COMPLETIONS
from extractors.batch.output_lines import OutputLine, stream_lines
from extractors.batch.status import BatchStatus, status_of
from extractors.batch.storage import ObjectStorageFiles
from extractors.endpoint.guarded_http import origin_of
from extractors.errors import BatchApiError
from extractors.options import BatchFlavour

# A status poll or download that fails transiently is tried again this many times.
_ATTEMPTS = 4
_RETRIED = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
# An upload, create or status answer is a small JSON object: more than this is not one.
_MAX_CONTROL_BYTES = 1_000_000
# An output file's lines, named for the terminal.
NamedLines = tuple[str, AsyncIterator[OutputLine]]


class BatchApi:
    """The batch calls of one endpoint, `Authorization: Bearer KEY` on every one.

    Every answer is held to the protocol: a redirect to another origin is not followed, and
    an answer that is not the JSON (or JSONL) the step expects is a BatchApiError naming the
    step (upload, create, poll, download) and the status, never a traceback.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        flavour: BatchFlavour,
        redact: Callable[[str], str],
        timeout: float = 300.0,
        storage: ObjectStorageFiles | None = None,
        backoff: float = 2.0,
    ) -> None:
        self.flavour = flavour
        self.redact = redact
        # Scaleway: input and results in Object Storage instead of the files API.
        self.storage = storage
        self.backoff = backoff
        self._origin = origin_of(base_url)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers=headers,
            timeout=timeout,
            follow_redirects=True,
            event_hooks={"response": [self._refuse_other_origins]},
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
            answer = await self._call(
                "upload", "POST", "files", data={"purpose": "batch"}, files=files
            )
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
            return status_of(
                await self._call("create", "POST", "batch/jobs", json=body), self.flavour
            )
        body = {
            "input_file_id": input_file_id,
            "endpoint": CHAT_COMPLETIONS,
            "completion_window": "24h",
        }
        return status_of(await self._call("create", "POST", "batches", json=body), self.flavour)

    async def status(self, batch_id: str) -> BatchStatus:
        route = f"batch/jobs/{batch_id}" if self.flavour == "mistral" else f"batches/{batch_id}"
        return status_of(await self._call("poll", "GET", route), self.flavour)

    def results(self, name: str, file_ids: list[str | None], cap: int) -> list[NamedLines]:
        """The output and error files of a finished batch, as streams of lines."""
        if self.storage is not None:
            return [(url, stream_lines(pieces, cap)) for url, pieces in self.storage.results(name)]
        return [(file_id, self.lines(file_id, cap)) for file_id in file_ids if file_id]

    async def lines(self, file_id: str, cap: int) -> AsyncIterator[OutputLine]:
        """The lines of a file's content, streamed in bounded pieces: never held whole."""
        route = f"files/{file_id}/content"
        try:
            async with self._stream("download", "GET", route) as response:
                async for line in stream_lines(self._jsonl_pieces("download", response), cap):
                    yield line
        except _Transient as exc:
            raise BatchApiError(self.redact(str(exc))) from None

    async def _call(self, step: str, method: str, route: str, **kwargs: Any) -> dict[str, Any]:
        """A control call's JSON object; GETs tried again after transient failures."""
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                async with self._stream(step, method, route, **kwargs) as response:
                    return await self._json_object(step, response)
            except _Transient as exc:
                if attempt == _ATTEMPTS or method == "POST":
                    raise BatchApiError(self.redact(str(exc))) from None
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable: the last attempt returns or raises")

    @asynccontextmanager
    async def _stream(
        self, step: str, method: str, route: str, **kwargs: Any
    ) -> AsyncIterator[httpx.Response]:
        """The response of a call whose status is a success: BatchApiError (or _Transient)
        for a redirect, a refusal or a failure, the connection's errors included."""
        try:
            async with self._http.stream(method, route, **kwargs) as response:
                await self._check_status(step, response)
                yield response
        except _OtherOrigin as exc:
            raise BatchApiError(self.redact(f"batch {step}: {exc}")) from None
        except httpx.TransportError as exc:
            raise _Transient(f"batch {step}: {method} {route}: {exc!r}") from None
        except httpx.HTTPError as exc:
            raise BatchApiError(self.redact(f"batch {step}: {method} {route}: {exc}")) from None

    async def _check_status(self, step: str, response: httpx.Response) -> None:
        code = response.status_code
        if 200 <= code < 300:
            return
        if 300 <= code < 400:
            where = response.headers.get("location", "nowhere")
            raise BatchApiError(
                self.redact(
                    f"batch {step}: endpoint answered {code} redirect to {where}, not followed"
                )
            )
        detail = " ".join((await _head(response)).decode("utf-8", "replace").split())[:300]
        if code in (401, 403):
            what = f"authentication refused by {self._http.base_url}"
            raise BatchApiError(self.redact(f"{what} (HTTP {code}): {detail}"))
        message = self.redact(f"batch {step}: endpoint answered HTTP {code}: {detail}")
        if code in _RETRIED:
            raise _Transient(message)
        raise BatchApiError(message)

    async def _json_object(self, step: str, response: httpx.Response) -> dict[str, Any]:
        """The answer as a JSON object with an id, as every control answer is."""
        body = await _head(response, _MAX_CONTROL_BYTES + 1)
        said = f"batch {step}: endpoint answered {response.status_code} with"
        if len(body) > _MAX_CONTROL_BYTES:
            raise BatchApiError(f"{said} more than {_MAX_CONTROL_BYTES:,} bytes, not a JSON object")
        if not body.strip():
            raise BatchApiError(f"{said} an empty body, not JSON")
        try:
            answer = json.loads(body)
        except ValueError:
            raise BatchApiError(f"{said} {_kind(response, body)}, not JSON") from None
        if not isinstance(answer, dict) or not isinstance(answer.get("id"), str):
            raise BatchApiError(f"{said} JSON without an id, not a {_WHAT[step]}")
        return answer

    async def _jsonl_pieces(self, step: str, response: httpx.Response) -> AsyncIterator[bytes]:
        """The body's pieces, once its start shows it is JSONL (not HTML, not empty)."""
        said = f"batch {step}: endpoint answered {response.status_code} with"
        started = False
        try:
            async for piece in response.aiter_bytes():
                if not started and piece.strip():
                    if not piece.lstrip().startswith(b"{") or _is_html(response):
                        raise BatchApiError(f"{said} {_kind(response, piece)}, not JSONL")
                    started = True
                yield piece
        except httpx.HTTPError as exc:
            raise BatchApiError(self.redact(f"batch {step}: download cut: {exc!r}")) from None
        if not started:
            raise BatchApiError(f"{said} an empty body, not JSONL")

    async def _refuse_other_origins(self, response: httpx.Response) -> None:
        if not response.has_redirect_location:
            return
        target = response.request.url.join(response.headers["location"])
        where = origin_of(str(target))
        if where != self._origin:
            code = response.status_code
            raise _OtherOrigin(f"endpoint answered {code} redirect to {where}; not followed")


class _Transient(Exception):
    """A failure worth another try for a GET (a 5xx, a 429, a lost connection)."""


class _OtherOrigin(Exception):
    """A redirect to another origin (scheme, host, port)."""


# What each step's answer is.
_WHAT = {"upload": "file", "create": "batch", "poll": "batch", "download": "file"}


async def _head(response: httpx.Response, limit: int = 4096) -> bytes:
    """At most `limit` bytes of the body (a hostile answer is never read whole)."""
    parts: list[bytes] = []
    size = 0
    async for piece in response.aiter_bytes():
        parts.append(piece)
        size += len(piece)
        if size >= limit:
            break
    return b"".join(parts)[:limit]


def _is_html(response: httpx.Response) -> bool:
    return "html" in response.headers.get("content-type", "").lower()


def _kind(response: httpx.Response, body: bytes) -> str:
    """What a body that is not JSON looks like, in a word."""
    if _is_html(response) or body.lstrip()[:1] == b"<":
        return "HTML"
    return "a body that is not JSON"
