"""Sending requests within the endpoint's limits, with rendering running ahead of them."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from itertools import count

import orjson

from extractors.endpoint.client import EndpointClient
from extractors.endpoint.gate import Admission, Gate, LocalGate, Outcome
from extractors.endpoint.learned_limits import LearnedLimits
from extractors.endpoint.rate_window import attempt_entries
from extractors.endpoint.run_hold import run_wide_wait
from extractors.errors import OutgrownRequestError, RetryLaterError, RunAbortedError
from extractors.options import InFlight, RateLimits
from extractors.progress import NoProgress, ProgressListener
from extractors.records import EndpointAnswer, PreparedRequest


@dataclass
class RequestStats:
    """Counters of one run's requests (mutated on the event loop only)."""

    requests: int = 0
    retries: int = 0
    # Of the retries, those a gateway made upstream on its own and reported with its answer.
    gateway_retries: int = 0
    throttled: int = 0
    failed_requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Whether any answer carried usage: the embedded engine reports none, and 0 would lie.
    usage_reported: bool = False
    # time.monotonic() of the first attempt written, for "the first request left after N s".
    first_sent_at: float | None = None

    def absorb(self, other: "RequestStats") -> None:
        """Add another pool's counts (a Dask worker's); in-flight peaks are the highest one."""
        self.requests += other.requests
        self.retries += other.retries
        self.gateway_retries += other.gateway_retries
        self.throttled += other.throttled
        self.failed_requests += other.failed_requests
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.usage_reported = self.usage_reported or other.usage_reported
        self.max_in_flight = max(self.max_in_flight, other.max_in_flight)
        if other.first_sent_at is not None:
            self.first_sent_at = min(self.first_sent_at or other.first_sent_at, other.first_sent_at)


class PayloadSlot:
    """One taken payload slot; given back once, however many times it is released."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self._slots: asyncio.Semaphore | None = slots

    def release(self) -> None:
        if self._slots is not None:
            self._slots.release()
            self._slots = None


class RequestPool:
    """Sends requests within the endpoint's limits; at most `payload_slots` payloads exist.

    A payload slot is taken before a chunk is rendered and given back when its answer arrives,
    so rendering runs ahead of the requests and memory stays bounded (see `InFlight`).
    Each attempt holds an in-flight slot of the adaptive limit and its share of `--rpm` /
    `--tpm` only while it is on the wire: a request waiting out a 429 holds nothing, unless
    the 429 says the limit is the run's (`run_hold`): then no attempt goes until it resets.
    """

    def __init__(
        self,
        client: EndpointClient,
        in_flight: InFlight,
        progress: ProgressListener | None = None,
        rates: RateLimits | None = None,
        learned: LearnedLimits | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.client = client
        self.learned = learned
        self._progress = progress or NoProgress()
        self.stats = RequestStats()
        # The run's limits: this process's own, or one shared by a Dask run's workers.
        self.gate: Gate = gate or LocalGate(in_flight.requests, rates or RateLimits())
        self._payload_slots = asyncio.Semaphore(in_flight.payload_slots)
        self._aborted: RunAbortedError | None = None

    async def take_payload_slot(self) -> "PayloadSlot":
        """A payload slot held until its `release` (or the end of `payload_slot(held)`)."""
        self._raise_if_aborted()
        await self._payload_slots.acquire()
        return PayloadSlot(self._payload_slots)

    @asynccontextmanager
    async def payload_slot(self, held: "PayloadSlot | None" = None) -> AsyncIterator[None]:
        """A payload slot for the block: `held` if the caller took one already, else one
        taken here; given back at the end either way."""
        slot = held if held is not None else await self.take_payload_slot()
        try:
            yield
        finally:
            slot.release()

    async def send(self, request: PreparedRequest) -> EndpointAnswer:
        """The answer to one request after its retries; once one is fatal, all raise it."""
        self.stats.requests += 1
        # Encoded while the request waits for its slot (its pages were drawn ahead), not when a
        # round of answers frees the slots together: measured, refilling 16 slots then took
        # 40 ms, most of it building bodies.
        encoded = self._encoded(request)
        for attempt in count(1):
            admitted = await self.gate.enter(request.estimated_tokens)
            outcome = Outcome(sent=False)
            try:
                self._raise_if_aborted()
                if self.learned is not None and not self.learned.admits(request.chunk):
                    # It waited for its slot while another request taught us a lower limit.
                    raise OutgrownRequestError(request.request_id)
                encoded = self._refreshed(request, encoded)
                outcome = Outcome(sent=True, judged=False)  # unless it ends as below
                answer, retry = await self._attempt(request, attempt, encoded[1], admitted)
                outcome = _outcome(request, answer, retry)
            finally:
                await self.gate.leave(admitted, outcome)
            if retry is None:
                assert answer is not None
                self._count_gateway_tries(answer, attempt)
                self.stats.prompt_tokens += answer.prompt_tokens or 0
                self.stats.completion_tokens += answer.completion_tokens or 0
                self.stats.usage_reported |= answer.prompt_tokens is not None
                return answer
            self.stats.retries += 1
            self.stats.throttled += retry.throttled
            self._progress.retrying(str(retry), retry.wait)
            await asyncio.sleep(retry.wait)
        raise AssertionError("unreachable: attempts end in an answer or an exception")

    async def _attempt(
        self, request: PreparedRequest, attempt: int, body: bytes, admitted: Admission
    ) -> tuple[EndpointAnswer | None, RetryLaterError | None]:
        """The answer, or the 429/5xx that asks to try again later."""
        try:
            with attempt_entries(admitted.entries):
                return await self._on_the_wire(request, attempt, body), None
        except RetryLaterError as later:
            return None, later

    def _count_gateway_tries(self, answer: EndpointAnswer, attempt: int) -> None:
        """Count the retries a gateway reported making upstream before this answer.

        No gateway says why it retried (a 429 or a 5xx), so they are not counted as throttling:
        the in-flight limit follows 429s only when the gateway passes them on (`num_retries: 0`).
        """
        hidden = answer.attempts - attempt
        self.stats.retries += hidden
        self.stats.gateway_retries += hidden

    def _encoded(self, request: PreparedRequest) -> tuple[int | None, bytes]:
        """The request's body, and the answer room it asks for when a context learned from a
        refusal refitted it (None: the configured one, as the client encodes it)."""
        room = self.learned.answer_room if self.learned is not None else None
        if room is None:
            return None, self.client.encoded_body(request)
        body = self.client.request_body(request)
        body[self.client.options.output_tokens_field] = room
        return room, orjson.dumps(body)

    def _refreshed(
        self, request: PreparedRequest, encoded: tuple[int | None, bytes]
    ) -> tuple[int | None, bytes]:
        """The body again if the answer room was refitted while the request waited."""
        if self.learned is None or self.learned.answer_room == encoded[0]:
            return encoded
        return self._encoded(request)

    async def _on_the_wire(
        self, request: PreparedRequest, attempt: int, body: bytes
    ) -> EndpointAnswer:
        # The answer's latency is this attempt's time on the wire: not its wait for a slot or
        # a rate window, nor earlier attempts (the request pacing reads it as the endpoint's).
        started = time.monotonic()
        self.stats.in_flight += 1
        self.stats.first_sent_at = self.stats.first_sent_at or started
        self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
        self._progress.requests_changed(self.stats.in_flight, self.stats.requests)
        try:
            return await self.client.attempt(request, attempt, started, body)
        except RunAbortedError as exc:
            self._aborted = self._aborted or exc
            raise
        except RetryLaterError:
            raise
        except Exception:
            self.stats.failed_requests += 1
            raise
        finally:
            self.stats.in_flight -= 1
            self._progress.requests_changed(self.stats.in_flight, self.stats.requests)

    def _raise_if_aborted(self) -> None:
        if self._aborted is not None:
            raise self._aborted


def _outcome(
    request: PreparedRequest, answer: EndpointAnswer | None, retry: RetryLaterError | None
) -> Outcome:
    """What the gate learns from an attempt that went on the wire."""
    if retry is not None:
        return Outcome(sent=True, throttled=retry.throttled, hold_seconds=run_wide_wait(retry))
    assert answer is not None
    return Outcome(sent=True, used_tokens=answer.total_tokens or request.estimated_tokens)
