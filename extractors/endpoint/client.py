"""Calling an OpenAI-compatible endpoint: one request, its retries, and what it cost."""

import email.utils
import random
import time
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

# The SDK is imported when the first request is made, not with the pipeline: it is 0.6 s of a
# command's start, and a run that finds everything done sends nothing.
if TYPE_CHECKING:
    import httpx2
    import openai

from extractors.endpoint.prompt import Prompt, response_format
from extractors.endpoint.rate_window import stamp_attempt
from extractors.errors import (
    FatalEndpointError,
    RequestRejectedError,
    RetryLaterError,
    TransientEndpointError,
)
from extractors.options import EndpointOptions
from extractors.records import EndpointAnswer, PreparedRequest

_RETRIED_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_AUTH_STATUSES = frozenset({401, 403})
# An endpoint that has never answered anything (refused, unresolvable, TLS failing) is most
# likely a wrong URL: the run stops after this many attempts or seconds, not minutes of
# backoff. One that has answered before gets the full backoff: it may be restarting.
_NEVER_ANSWERED_ATTEMPTS = 4
_NEVER_ANSWERED_SECONDS = 10.0


class EndpointClient:
    """Sends prepared requests; the pipeline, not the SDK, owns retries (it knows Retry-After)."""

    def __init__(self, options: EndpointOptions, prompt: Prompt) -> None:
        self.options = options
        self._prompt = prompt
        self._answered_once = False
        self._first_unanswered: float | None = None
        # Retryable failures since the endpoint last answered anything (any request).
        self._failure_streak = 0

    @cached_property
    def _client(self) -> "openai.AsyncOpenAI":
        import openai

        options = self.options
        return openai.AsyncOpenAI(
            base_url=options.base_url,
            api_key=options.api_key or "not-needed",
            timeout=options.timeout,
            max_retries=0,
            # Rate windows count a request when it is written to its connection (rate_window).
            http_client=openai.DefaultAsyncHttpxClient(event_hooks={"request": [_written]}),
        )

    async def attempt(
        self, request: PreparedRequest, attempt: int, started: float
    ) -> EndpointAnswer:
        """One HTTP attempt; RetryLaterError says when the next one is worth making.

        The request pool owns the loop around this, so that a request waiting out a 429 does not
        hold an in-flight slot and rate limits count every attempt.
        """
        import openai

        try:
            completion = await self._client.chat.completions.create(**self.request_body(request))
        except openai.APIError as exc:
            wait = self._handle_failure(exc, attempt)
            status = getattr(exc, "status_code", None)
            raise RetryLaterError(
                self.redact(_describe(exc)), wait, throttled=status == 429
            ) from None
        self._answered_once = True
        self._failure_streak = 0
        return completion_answer(request.request_id, completion, started, attempt)

    async def close(self) -> None:
        if "_client" in self.__dict__:  # made on the first request
            await self._client.close()

    def redact(self, text: str) -> str:
        """Text with the API key blanked out, for anything that may be logged or stored."""
        key = self.options.api_key
        return text.replace(key, "***") if key else text

    def request_body(self, request: PreparedRequest) -> dict[str, Any]:
        """The chat-completions body of a request: what is sent online and in a batch line."""
        mode = self.options.structured_output
        kwargs: dict[str, Any] = {
            "model": self.options.model,
            "messages": self._prompt.messages(request, mode),
            **self.options.sampling.as_kwargs(),
            self.options.output_tokens_field: self.options.max_output_tokens,
        }
        if mode == "json_schema":
            kwargs["response_format"] = response_format(
                self._prompt.schema, self.options.strict_schema
            )
        return kwargs

    def _handle_failure(self, exc: "openai.APIError", attempt: int) -> float:
        """Seconds to wait before the next attempt, or raise when it is not worth one."""
        status = getattr(exc, "status_code", None)
        reason = self.redact(_describe(exc))
        if status is not None:
            self._answered_once = True  # an HTTP answer, even an error, means it is there
        elif _is_connect_error(exc.__cause__):
            # Refused, unresolvable or failing TLS: no connection at all (a reset is not this:
            # something is listening there).
            self._give_up_if_never_answered(attempt, reason)
        if status in _AUTH_STATUSES:
            raise FatalEndpointError(
                f"authentication refused by {self.options.base_url} (HTTP {status}): {reason}"
            ) from None
        if status is not None and status not in _RETRIED_STATUSES:
            raise RequestRejectedError(f"HTTP {status}: {reason}", status, attempt) from None
        if attempt >= self.options.max_attempts:
            raise TransientEndpointError(
                f"{reason} (gave up after {attempt} attempts)", attempt
            ) from None
        self._failure_streak += 1
        return self._wait_before_retry(exc, min(attempt, self._failure_streak))

    def _give_up_if_never_answered(self, attempt: int, reason: str) -> None:
        """FatalEndpointError for a connection failure of an endpoint that never answered,
        once it has failed long enough that retrying more is only a wait for the user."""
        if self._answered_once:
            return
        now = time.monotonic()
        if self._first_unanswered is None:
            self._first_unanswered = now
        waited = now - self._first_unanswered
        if attempt >= _NEVER_ANSWERED_ATTEMPTS or waited >= _NEVER_ANSWERED_SECONDS:
            raise FatalEndpointError(
                f"cannot connect to {self.options.base_url}: {reason}"
            ) from None

    def _wait_before_retry(self, exc: "openai.APIError", failures: int) -> float:
        """Exponential backoff with jitter, but never shorter than the server's Retry-After.

        The exponent is the request's own failures, capped by the endpoint's failures since
        it last answered anyone: while other requests get answers, a request that drew a
        sporadic 5xx or reset three times waits ~1 s, not 4 s, 8 s, 16 s (a 200-page fault mix
        took 35 s instead of 3 s that way); when everything fails, waits grow as usual.
        """
        backoff = min(self.options.backoff_cap, self.options.backoff_base * 2 ** (failures - 1))
        jittered = backoff * random.uniform(0.5, 1.0)
        response = getattr(exc, "response", None)
        asked = retry_after_seconds(response.headers) if response is not None else None
        if asked is None:
            return jittered
        return asked + jittered * 0.1  # a little spread so that waiters do not return in lockstep


def retry_after_seconds(headers: Any) -> float | None:
    """The wait a response asks for: `retry-after-ms`, or `Retry-After` in seconds or as a date."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass  # a malformed header: fall through to Retry-After
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if value else None
        if when is None:
            return None
        return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _is_connect_error(cause: BaseException | None) -> bool:
    import httpx2  # openai's HTTP client, loaded with it

    return isinstance(cause, httpx2.ConnectError)


def _describe(exc: "openai.APIError") -> str:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "request timed out"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        if cause is None:
            return "connection error (no response)"
        detail = " ".join(str(cause).split())[:200]
        return f"connection error ({type(cause).__name__}{': ' + detail if detail else ''})"
    message = " ".join(str(getattr(exc, "message", exc)).split())
    return message[:400]


def completion_answer(
    request_id: str, completion: Any, started: float, attempts: int
) -> EndpointAnswer:
    """What a chat completion (online, or a batch line's body) says, with what it cost."""
    choices = getattr(completion, "choices", None) or []
    choice = choices[0] if choices else None
    message = getattr(choice, "message", None)
    content = getattr(message, "content", None) if message is not None else None
    if not content and choice is not None:
        # Some providers (PredictionGuard's legacy shape) answer in choices[0].text.
        content = getattr(choice, "text", None) or (getattr(choice, "model_extra", None) or {}).get(
            "text"
        )
    usage = getattr(completion, "usage", None)
    return EndpointAnswer(
        request_id=request_id,
        content=content if isinstance(content, str) else None,
        finish_reason=getattr(choice, "finish_reason", None),
        prompt_tokens=getattr(usage, "prompt_tokens", None),
        completion_tokens=getattr(usage, "completion_tokens", None),
        latency_ms=(time.monotonic() - started) * 1000,
        attempts=attempts,
    )


async def _written(request: "httpx2.Request") -> None:
    # The event hook runs before a connection is chosen (or opened); the trace runs as the
    # request's first bytes go out on it, which is the moment the provider will count.
    request.extensions["trace"] = _on_the_connection


async def _on_the_connection(event: str, info: dict[str, Any]) -> None:
    if event.endswith("send_request_headers.started"):
        stamp_attempt()
