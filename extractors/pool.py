"""Keeping exactly `concurrency` requests in flight, with rendering running ahead of them."""

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from extractors.client import EndpointClient
from extractors.errors import RunAbortedError
from extractors.progress import NoProgress, ProgressListener
from extractors.records import EndpointAnswer, PreparedRequest

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class RequestStats:
    """Counters of one run's requests (mutated on the event loop only)."""

    requests: int = 0
    failed_requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Rasteriser:
    """Runs opening and rendering off the event loop, on one thread: PyMuPDF is not thread-safe."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rasterise")

    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: function(*args, **kwargs))

    def close(self) -> None:
        self._executor.shutdown(wait=True)


class RequestPool:
    """Sends requests `concurrency` at a time; at most `concurrency + prefetch` payloads exist.

    A payload slot is taken before a chunk is rendered and given back when its answer arrives,
    so rendering runs ahead of the requests by `prefetch` chunks and memory stays bounded.
    """

    def __init__(
        self,
        client: EndpointClient,
        concurrency: int,
        prefetch: int | None = None,
        progress: ProgressListener | None = None,
    ) -> None:
        self.client = client
        self._progress = progress or NoProgress()
        self.concurrency = concurrency
        self.stats = RequestStats()
        self._send_slots = asyncio.Semaphore(concurrency)
        self._payload_slots = asyncio.Semaphore(concurrency + (prefetch or max(2, concurrency)))
        self._aborted: RunAbortedError | None = None

    @asynccontextmanager
    async def payload_slot(self) -> AsyncIterator[None]:
        self._raise_if_aborted()
        async with self._payload_slots:
            yield

    async def send(self, request: PreparedRequest) -> EndpointAnswer:
        """The answer to one request; raises RunAbortedError for everyone once one is fatal."""
        async with self._send_slots:
            self._raise_if_aborted()
            self.stats.requests += 1
            self.stats.in_flight += 1
            self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
            self._progress.requests_changed(self.stats.in_flight, self.stats.requests)
            try:
                answer = await self.client.ask(request)
            except RunAbortedError as exc:
                self._aborted = self._aborted or exc
                raise
            except Exception:
                self.stats.failed_requests += 1
                raise
            finally:
                self.stats.in_flight -= 1
                self._progress.requests_changed(self.stats.in_flight, self.stats.requests)
        self.stats.prompt_tokens += answer.prompt_tokens or 0
        self.stats.completion_tokens += answer.completion_tokens or 0
        return answer

    def _raise_if_aborted(self) -> None:
        if self._aborted is not None:
            raise self._aborted
