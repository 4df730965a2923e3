"""The HTTP client under the SDK, guarded against hostile endpoints.

Imported with the SDK, when the first request is made. Each attempt is bounded as a whole by
`--timeout` (httpx2's timeouts are per read: a byte a second never trips them), its answer by
`--max-answer-mb` once decompressed (counted as it inflates, never read whole first), and
redirects to another origin are refused (a 307 would POST the page images there). An answer of
2xx that is not JSON is refused here too: the SDK would raise a bare JSONDecodeError.
"""

import asyncio
import json
import zlib
from typing import Any

import httpx2
import openai

# Encodings whose inflation is counted here; the request offers only these.
_DECODERS = {"gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS, "x-gzip": zlib.MAX_WBITS | 16}
_ACCEPTED = "gzip, deflate"
_DROPPED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class UnusableResponse(Exception):
    """An answer the guarded client does not hand to the SDK; the endpoint client says why."""


class AnswerTooLarge(UnusableResponse):
    """The decoded answer passed `--max-answer-mb`."""


class CrossOriginRedirect(UnusableResponse):
    """The endpoint redirected to another origin (scheme, host, port)."""


class NotJSONAnswer(UnusableResponse):
    """A 2xx answer whose body is not JSON (an HTML error page from a proxy, say)."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        # More than is shown: the key is redacted from it before it is cut to length.
        self.head = body[:1024].decode("utf-8", "replace")
        super().__init__(f"endpoint answered {status} with a body that is not JSON")


class GuardedHttpClient(openai.DefaultAsyncHttpxClient):
    """The SDK's default client with whole-attempt deadlines, bounded answers and same-origin
    redirects only."""

    def __init__(self, base_url: str, deadline: float, max_bytes: int, **kwargs: Any) -> None:
        hooks = kwargs.pop("event_hooks", {})
        hooks = {**hooks, "response": [*hooks.get("response", []), self._refuse_other_origins]}
        super().__init__(event_hooks=hooks, **kwargs)
        self._origin = origin_of(base_url)
        self._deadline = deadline
        self._max_bytes = max_bytes

    async def send(
        self, request: httpx2.Request, *, stream: bool = False, **kwargs: Any
    ) -> httpx2.Response:
        """The whole answer, read within the deadline and the size cap (`stream` is ignored:
        answers are validated whole)."""
        request.headers["Accept-Encoding"] = _ACCEPTED
        try:
            async with asyncio.timeout(self._deadline):
                response = await super().send(request, stream=True, **kwargs)
                try:
                    body = await self._read_bounded(response)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise httpx2.ReadTimeout(
                f"no whole answer within {self._deadline:g} s", request=request
            ) from None
        if response.is_success:
            _require_json(response.status_code, body)
        return _decoded_response(response, body, request)

    async def _read_bounded(self, response: httpx2.Response) -> bytes:
        """The decoded body; AnswerTooLarge as soon as it passes the cap."""
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        decoder = _decoder(encoding)
        parts: list[bytes] = []
        size = raw_size = 0
        limit = self._max_bytes
        async for raw in response.aiter_raw():
            raw_size += len(raw)
            chunk = raw if decoder is None else decoder.decompress(raw, limit - size + 1)
            while True:
                size += len(chunk)
                if size > limit or raw_size > limit:
                    raise AnswerTooLarge(f"answer larger than {limit / 1e6:g} MB")
                parts.append(chunk)
                if decoder is None or not decoder.unconsumed_tail:
                    break
                chunk = decoder.decompress(decoder.unconsumed_tail, limit - size + 1)
        return b"".join(parts)

    async def _refuse_other_origins(self, response: httpx2.Response) -> None:
        if not response.has_redirect_location:
            return
        target = response.request.url.join(response.headers["location"])
        where = origin_of(str(target))
        if where != self._origin:
            raise CrossOriginRedirect(f"endpoint redirected to {where}; not followed")


def origin_of(url: str) -> str:
    """`scheme://host:port` of a URL, the port spelt out even when it is the default."""
    parsed = httpx2.URL(url)
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme)
    return f"{parsed.scheme}://{parsed.host}:{port}"


def _decoder(encoding: str) -> "zlib._Decompress | None":
    if encoding in ("identity", ""):
        return None
    if encoding not in _DECODERS:
        raise UnusableResponse(f"endpoint answered in content-encoding {encoding!r}, not asked for")
    return zlib.decompressobj(_DECODERS[encoding])


def _require_json(status: int, body: bytes) -> None:
    try:
        json.loads(body)
    except ValueError:
        raise NotJSONAnswer(status, body) from None


def _decoded_response(
    response: httpx2.Response, body: bytes, request: httpx2.Request
) -> httpx2.Response:
    """The response with its body decoded, as the SDK expects a read response to be."""
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in _DROPPED_HEADERS
    ]
    return httpx2.Response(
        response.status_code,
        headers=headers,
        content=body,
        request=request,
        extensions=response.extensions,
        history=response.history,
    )
