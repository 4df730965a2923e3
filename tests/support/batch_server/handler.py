"""The HTTP routes of a BatchServer: files and batches (OpenAI) or batch jobs (Mistral), and
everything else as the chat server answers it."""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import TYPE_CHECKING, Any

from chat_server.faults import error_body
from chat_server.handler import ChatHandler

if TYPE_CHECKING:
    from .server import BatchServer


class BatchHandler(ChatHandler):
    """Batch routes under the server's prefix; chat completions and models as usual."""

    def do_GET(self) -> None:
        batch = self._batch_server()
        route = self._route()
        if route is None:
            super().do_GET()
            return
        if not self._authorized():
            return
        kind, ident, rest = route
        if self._answered_oddly("download" if kind == "files" else "poll"):
            return
        if kind == "files" and rest == "content":
            self._send_file(batch.file_content(ident))
        elif kind in ("batches", "batch/jobs") and ident and not rest:
            self._send_json(batch.poll(ident))
        else:
            self._send_error(404, f"Not found: {self.path}")

    def do_POST(self) -> None:
        batch = self._batch_server()
        route = self._route()
        if route is None:
            super().do_POST()
            return
        raw = self._read_body()
        if not self._authorized():
            return
        kind, ident, _ = route
        if self._answered_oddly("upload" if kind == "files" else "create"):
            return
        if kind == "files" and not ident:
            self._send_json(batch.upload(*_multipart(self.headers.get("Content-Type", ""), raw)))
            return
        payload = json.loads(raw or b"{}")
        if kind == "batches" and not ident:
            self._send_json(batch.create(payload.get("input_file_id"), "openai", payload))
        elif kind == "batch/jobs" and not ident:
            files = payload.get("input_files") or [None]
            self._send_json(batch.create(files[0], "mistral", payload))
        else:
            self._send_error(404, f"Not found: {self.path}")

    # --- plumbing -------------------------------------------------------------------------

    def _batch_server(self) -> BatchServer:
        return self.server.chat  # type: ignore[return-value]

    def _route(self) -> tuple[str, str, str] | None:
        """(kind, id, rest) of a batch route, or None for the chat server's routes."""
        prefix = self._batch_server().prefix
        path = self.path.split("?", 1)[0]
        if not path.startswith(prefix + "/"):
            return None
        parts = path[len(prefix) + 1 :].split("/")
        if parts[:2] == ["batch", "jobs"]:
            parts = ["batch/jobs", *parts[2:]]
        if parts[0] not in ("files", "batches", "batch/jobs"):
            return None
        return parts[0], parts[1] if len(parts) > 1 else "", "/".join(parts[2:])

    def _answered_oddly(self, step: str) -> bool:
        planted = self._batch_server().odd_answer(step)
        if planted is None:
            return False
        code, body, headers = planted
        self._send(code, body, headers)
        return True

    def _authorized(self) -> bool:
        batch = self._batch_server()
        header = self.headers.get("Authorization")
        batch.record_call(self.command, self.path, header)
        if batch._authorized(header):
            return True
        self._send(401, batch._unauthorized_body())
        return False

    def _send_json(self, answer: tuple[int, Any]) -> None:
        code, body = answer
        if code >= 400:
            self._send_error(code, str(body))
            return
        self._send(code, json.dumps(body).encode())

    def _send_error(self, code: int, message: str) -> None:
        self._send(code, error_body(message, "invalid_request_error", code))

    def _send_file(self, data: bytes | None) -> None:
        if data is None:
            self._send_error(404, "No such file")
            return
        self._send(200, data, {"Content-Type": "application/jsonl"})


def _multipart(content_type: str, raw: bytes) -> tuple[dict[str, str], bytes, str]:
    """(form fields, the file's bytes, its filename) of a multipart/form-data body."""
    message = BytesParser(policy=default_policy).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    fields: dict[str, str] = {}
    data, filename = b"", ""
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename():
            data, filename = payload, str(part.get_filename())
        elif isinstance(name, str):
            fields[name] = payload.decode()
    return fields, data, filename
