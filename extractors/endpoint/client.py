"""Calling an OpenAI-compatible endpoint: one request, its retries, and what it cost."""

import random
import time
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

import orjson

# The SDK is imported when the first request is made, not with the pipeline: it is 0.6 s of a
# command's start, and a run that finds everything done sends nothing.
if TYPE_CHECKING:
    import httpx2
    import openai

    from extractors.endpoint.guarded_http import UnusableResponse

from extractors.endpoint.completion import read_completion
from extractors.endpoint.failure_text import certificate_failure, describe, is_connect_error
from extractors.endpoint.gateway_tries import gateway_retries
from extractors.endpoint.headers import secret_values
from extractors.endpoint.prompt import Prompt, response_format
from extractors.endpoint.rate_window import stamp_attempt
from extractors.endpoint.redaction import KeyRedactor
from extractors.endpoint.resampling import sampling_for
from extractors.endpoint.retry_after import asked_wait, retry_after_seconds
from extractors.errors import (
    AnswerTooLargeError,
    EndpointFailedError,
    FatalEndpointError,
    RequestRejectedError,
    RetryLaterError,
    TransientEndpointError,
)
from extractors.options import EndpointOptions
from extractors.records import EndpointAnswer, PreparedRequest


def import_sdk() -> None:
    """Import the SDK and its HTTP client now (on a thread, while a run starts), so that the
    first request does not hold the event loop for the imports (0.5 s measured, and 0.2 s more
    for the transport that building the first HTTP client imports: one is built here)."""
    import openai

    import extractors.endpoint.guarded_http  # noqa: F401

    openai.DefaultAsyncHttpxClient()  # unused: nothing is opened before its first request


_RETRIED_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_AUTH_STATUSES = frozenset({401, 403})
# An endpoint that has never answered anything (refused, unresolvable, TLS failing) is most
# likely a wrong URL: the run stops once this many seconds have passed since its first failed
# attempt, by the clock (a count of attempts took 16 s on a loaded machine), retrying until
# then with waits cut to end at the budget. One that has answered before gets the full
# backoff: it may be restarting. With the run's start (~5 s loaded), a wrong URL is reported
# within 15 s.
NEVER_ANSWERED_SECONDS = 6.0


class EndpointClient:
    """Sends prepared requests; the pipeline, not the SDK, owns retries (it knows Retry-After)."""

    def __init__(
        self, options: EndpointOptions, prompt: Prompt, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.options = options
        self._prompt = prompt
        self._clock = clock
        self._answered_once = False
        self._first_unanswered: float | None = None
        # Retryable failures since the endpoint last answered anything (any request).
        self._failure_streak = 0
        secrets = (options.api_key, *secret_values(options.headers))
        self._redactors = tuple(KeyRedactor(secret) for secret in secrets if secret)

    @cached_property
    def _client(self) -> "openai.AsyncOpenAI":
        import openai

        from extractors.endpoint.guarded_http import GuardedHttpClient

        options = self.options
        http_client = GuardedHttpClient(
            options.base_url,
            options.timeout,
            options.max_answer_bytes,
            # Rate windows count a request when it is written to its connection (rate_window).
            event_hooks={"request": [_written]},
        )
        return openai.AsyncOpenAI(
            base_url=options.base_url,
            api_key=options.api_key or "not-needed",
            timeout=options.timeout,
            max_retries=0,
            http_client=http_client,
            default_headers=dict(options.headers),
        )

    async def attempt(
        self, request: PreparedRequest, attempt: int, started: float, body: bytes
    ) -> EndpointAnswer:
        """One HTTP attempt of `body` (`encoded_body(request)`); RetryLaterError says when the
        next one is worth making.

        The request pool owns the loop around this, so that a request waiting out a 429 does not
        hold an in-flight slot and rate limits count every attempt.
        """
        import openai
        from openai.types.chat import ChatCompletion

        from extractors.endpoint.guarded_http import UnusableResponse

        try:
            # The response itself, not only its parsed body: a gateway's headers count its tries.
            raw = await self._client.post(
                "/chat/completions",
                content=body,
                cast_to=openai.AsyncAPIResponse[ChatCompletion],
            )
            completion = await raw.parse()
        except openai.APIError as exc:
            wait, note = self._handle_failure(exc, attempt)
            status = getattr(exc, "status_code", None)
            response = getattr(exc, "response", None)
            asked = asked_wait(response.headers) if response is not None else None
            # The note goes first: the terminal shows the reason's first 60 characters.
            raise RetryLaterError(
                note + describe(exc, self.redact),
                wait,
                throttled=status == 429,
                run_wide=asked is not None and asked.run_wide,
            ) from None
        except UnusableResponse as exc:
            wait = self._handle_unusable(exc, attempt)
            raise RetryLaterError(self._unusable_reason(exc), wait, throttled=False) from None
        self._answered_once = True
        self._failure_streak = 0
        tries = attempt + gateway_retries(raw.headers)
        return read_completion(request.request_id, completion, started, tries)

    async def close(self) -> None:
        if "_client" in self.__dict__:  # made on the first request
            await self._client.close()

    def redact(self, text: str) -> str:
        """Text with the API key and credential-like headers blanked out (in any encoding of
        them that can be recognised), for anything that may be logged or stored."""
        for redactor in self._redactors:
            text = redactor(text)
        return text

    def encoded_body(self, request: PreparedRequest) -> bytes:
        """The request's body as sent: encoded once, before it waits for a request slot, so
        that when a round of answers frees the slots together only the writing is left.

        Plain JSON bytes, not `chat.completions.create`: the SDK would walk the body (images
        included) to transform it, 2 ms a request on the event loop (measured), and its own
        encoder takes 1.5 ms more for a page's base64 where orjson takes 0.01.
        """
        return orjson.dumps(self.request_body(request))

    def request_body(self, request: PreparedRequest) -> dict[str, Any]:
        """The chat-completions body of a request: what is sent online and in a batch line."""
        mode = self.options.structured_output
        kwargs: dict[str, Any] = {
            "model": self.options.model,
            "messages": self._prompt.messages(request, mode),
            **sampling_for(self.options, request.resample),
            self.options.output_tokens_field: self.options.max_output_tokens,
        }
        if self.options.logprobs:
            kwargs["logprobs"] = True  # no top_logprobs: the chosen tokens' figures suffice
        if mode == "json_schema":
            kwargs["response_format"] = response_format(
                self._prompt.schema, self.options.strict_schema
            )
        return kwargs

    def _handle_unusable(self, exc: "UnusableResponse", attempt: int) -> float:
        """Seconds to wait before asking again after an answer that is not one (not JSON);
        raise when it is not worth asking again (too large, redirected away)."""
        from extractors.endpoint.guarded_http import AnswerTooLarge, NotJSONAnswer

        self._answered_once = True  # something answered: the endpoint is there
        reason = self._unusable_reason(exc)
        if isinstance(exc, AnswerTooLarge):
            raise AnswerTooLargeError(reason, attempt) from None
        if not isinstance(exc, NotJSONAnswer):
            raise EndpointFailedError(reason, attempt) from None
        if attempt >= self.options.max_attempts:
            raise TransientEndpointError(
                f"{reason} (gave up after {attempt} attempts)", attempt
            ) from None
        self._failure_streak += 1
        return self._backoff(min(attempt, self._failure_streak))

    def _unusable_reason(self, exc: "UnusableResponse") -> str:
        from extractors.endpoint.guarded_http import NotJSONAnswer

        if isinstance(exc, NotJSONAnswer):
            # Redacted before it is cut, so that a cut never leaves part of a key to be seen.
            head = " ".join(self.redact(exc.head).split())[:80]
            return f"endpoint answered {exc.status} with a body that is not JSON: {head!r}"
        return self.redact(str(exc))

    def _handle_failure(self, exc: "openai.APIError", attempt: int) -> tuple[float, str]:
        """Seconds to wait before the next attempt and what to say of the wait, or raise when
        it is not worth one."""
        status = getattr(exc, "status_code", None)
        reason = describe(exc, self.redact)
        certificate = certificate_failure(exc)
        if certificate is not None:
            raise FatalEndpointError(
                f"cannot connect to {self.options.base_url}: certificate verify failed "
                f"({certificate}); if the endpoint's certificate is signed by your own CA, "
                "set SSL_CERT_FILE to a bundle holding it"
            ) from None
        if status is not None:
            self._answered_once = True  # an HTTP answer, even an error, means it is there
        elif is_connect_error(exc.__cause__):
            # Refused, unresolvable or failing TLS: no connection at all (a reset is not this:
            # something is listening there).
            self._give_up_if_never_answered(reason, attempt)
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
        wait, note = self._wait_before_retry(exc, min(attempt, self._failure_streak))
        return max(0.0, min(wait, self._left_before_giving_up())), note

    def _give_up_if_never_answered(self, reason: str, attempt: int) -> None:
        """FatalEndpointError for a connection failure of an endpoint that never answered,
        once it has failed for `NEVER_ANSWERED_SECONDS`, or a request has spent its attempts
        on it sooner: retrying more is only a wait, and a wrong URL is the run's error."""
        if self._answered_once:
            return
        if self._first_unanswered is None:
            self._first_unanswered = self._clock()
        if self._left_before_giving_up() <= 0 or attempt >= self.options.max_attempts:
            raise FatalEndpointError(
                f"cannot connect to {self.options.base_url}: {reason}"
            ) from None

    def _left_before_giving_up(self) -> float:
        """Seconds until an endpoint that never answered is given up on (inf once it has
        answered): the last retry is made at the budget's end, not a backoff past it."""
        if self._answered_once or self._first_unanswered is None:
            return float("inf")
        return NEVER_ANSWERED_SECONDS - (self._clock() - self._first_unanswered)

    def _wait_before_retry(self, exc: "openai.APIError", failures: int) -> tuple[float, str]:
        """Exponential backoff with jitter, but never shorter than the server's Retry-After,
        unless that is longer than `--max-retry-wait` (said in the note, for the terminal)."""
        jittered = self._backoff(failures)
        response = getattr(exc, "response", None)
        asked = retry_after_seconds(response.headers) if response is not None else None
        if asked is None:
            return jittered, ""
        cap = self.options.max_retry_wait
        if asked > cap:
            return cap, f"endpoint asks to wait {asked:g} s, capped at {cap:g} s; "
        # A little spread so that waiters do not return in lockstep.
        return min(cap, asked + jittered * 0.1), ""

    def _backoff(self, failures: int) -> float:
        """Exponential backoff with jitter.

        The exponent is the request's own failures, capped by the endpoint's failures since
        it last answered anyone: while other requests get answers, a request that drew a
        sporadic 5xx or reset three times waits ~1 s, not 4 s, 8 s, 16 s (a 200-page fault mix
        took 35 s instead of 3 s that way); when everything fails, waits grow as usual.
        """
        backoff = min(self.options.backoff_cap, self.options.backoff_base * 2 ** (failures - 1))
        return min(self.options.max_retry_wait, backoff * random.uniform(0.5, 1.0))


async def _written(request: "httpx2.Request") -> None:
    # The event hook runs before a connection is chosen (or opened); the trace runs as the
    # request's first bytes go out on it, which is the moment the provider will count.
    request.extensions["trace"] = _on_the_connection


async def _on_the_connection(event: str, info: dict[str, Any]) -> None:
    if event.endswith("send_request_headers.started"):
        stamp_attempt()
