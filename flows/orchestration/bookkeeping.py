"""Prefect's API as the run's bookkeeping: a run whose API stops answering finishes anyway.

Measured (../shared/docs/scale-out.md, section 3): once connected, Prefect's client retries a
refused connection 5 times over ~62 s, for every call; a server stopped mid-run made a run
whose rows were all written exit 1 after ~150 s more (a progress artifact's update failed
the body, then reporting that failure failed). Rows go through our own sink, never the API,
so here a call to the API that takes more than a moment makes us look whether anything still
answers at its address; when nothing does, the call is given up and the run goes on without
Prefect's bookkeeping, for the rest of the run. Any API URL (the reusable local server,
Prefect's temporary one, a remote server, Prefect Cloud) is treated alike.
"""

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

import httpx

from extractors.document.shard import ShardSummary
from extractors.options import DiscoveryOptions
from extractors.progress import ProgressListener
from flows.orchestration.shards import RunProgress
from schemas import RunSummary

T = TypeVar("T")

# A call to the API slower than this makes us look whether the API is still there.
_PATIENCE = 1.0
# Once the API is found gone, a call is given this long to run its part that does not need it.
_BRIEFLY = 0.05
# Connecting is what fails when a server is gone; a slow answer is a server that is there.
_PROBE_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
# What a call to a gone API ends with (a refused or reset connection, a server gone mid-answer).
API_GONE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadError, httpx.RemoteProtocolError)
# What Prefect prints on the way when its API is gone: the run's own warning line says it once.
_LOST_EVENTS = ("Unable to connect to", "Service 'EventsWorker' failed to process")


class ControlPlane:
    """Prefect's API for one run, and whether it has been found gone (for good: the run does
    not look again, and keeps its bookkeeping off)."""

    def __init__(self, api_url: str | None) -> None:
        self.api_url = api_url
        self.lost = False

    @classmethod
    def of_this_flow_run(cls) -> "ControlPlane":
        """The API the running flow reports to (Prefect's temporary server's too)."""
        from prefect.context import FlowRunContext

        context = FlowRunContext.get()
        client = context.client if context is not None else None
        return cls(str(client.api_url).rstrip("/") if client is not None else None)

    async def answers(self) -> bool:
        """Whether anything still answers HTTP at the API's address (any status will do)."""
        if self.api_url is None:
            return True
        try:
            async with httpx.AsyncClient(timeout=_PROBE_TIMEOUT) as probe:
                await probe.get(f"{self.api_url}/health")
        except API_GONE:
            return False
        except httpx.HTTPError:  # connected, then slow or odd: a server is there
            return True
        return True

    async def keep(self, call: Awaitable[T]) -> T | None:
        """The call's result; None when the API is gone (found now or before), the call given up."""
        task = asyncio.ensure_future(call)
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=_BRIEFLY if self.lost else _PATIENCE)
                if not task.done() and (self.lost or not await self.answers()):
                    self.lost = True
                    await give_up(task)
                    return None
            return task.result()
        except API_GONE:
            self.lost = True
            return None
        except asyncio.CancelledError:
            await give_up(task)
            raise


async def give_up(task: "asyncio.Future[object] | asyncio.Future[T]", rounds: int = 10) -> None:
    """Cancel a task until it ends: a Prefect call cancelled in its retry wait may report that
    cancellation, one more call to the gone API, itself retried."""
    for _ in range(rounds):
        if task.done():
            break
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
    if task.done() and not task.cancelled():
        task.exception()  # retrieved, so that asyncio does not log it as never retrieved


class KeptProgress(RunProgress):
    """The run's progress, its Prefect artifact kept only while the API answers."""

    plane: ControlPlane

    @classmethod
    async def begin(
        cls,
        plane: ControlPlane,
        listener: ProgressListener,
        inputs: list[str],
        excluded: tuple[str, ...],
        options: DiscoveryOptions,
    ) -> "KeptProgress":
        tracker = await plane.keep(cls.start(listener, inputs, excluded, options))
        if not isinstance(tracker, KeptProgress):
            # The API went in the body's first second: no artifact, and no total for the bar.
            tracker = cls(listener, UUID(int=0))
        tracker.plane = plane
        return tracker

    async def shard_done(self, shard: ShardSummary, on_worker: bool) -> None:
        # The listener is told before the artifact is updated: given up, only the update is.
        await self.plane.keep(super().shard_done(shard, on_worker))


class _LostEvents(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not any(said in record.getMessage() for said in _LOST_EVENTS)


def quiet_lost_events() -> None:
    """Keep Prefect's lines about events it could not send off stderr (they come in dozens
    when its API is gone; the run says it once)."""
    for name in ("prefect.events.clients", "prefect._internal.concurrency"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _LostEvents) for f in logger.filters):
            logger.addFilter(_LostEvents())


@dataclass
class RunEnd:
    """What the flow's body hands its caller once its work is done, before Prefect's last
    reports: the summary, and the API those reports go to."""

    summary: RunSummary | None = None
    plane: ControlPlane | None = None

    def finished(self, summary: RunSummary, plane: ControlPlane) -> None:
        self.summary, self.plane = summary, plane

    def lost_track(self) -> str:
        """The run's one line when its API was gone."""
        where = f" at {self.plane.api_url}" if self.plane and self.plane.api_url else ""
        return (
            f"Prefect lost track of this run: its API{where} stopped answering; "
            "the run's rows are all written, only Prefect's record of the run is incomplete"
        )

    def api_gone(self) -> bool:
        """Whether the API was found gone (by the body, or now, the body being done)."""
        return self.plane is not None and self.plane.lost


async def outlive_lost_api(flow_call: Awaitable[RunSummary], end: RunEnd) -> RunSummary:
    """The flow's result; once its body is done, its summary when Prefect's API is gone: the
    flow's last reports are given up (see `end.api_gone()`), the work being in the dataset."""
    flow = asyncio.ensure_future(flow_call)
    try:
        while not flow.done():
            await asyncio.wait({flow}, timeout=_PATIENCE)
            if not flow.done() and end.summary is not None and await _gone(end):
                await give_up(flow)
                return end.summary
        return flow.result()
    except API_GONE:
        if end.summary is None or end.plane is None:
            raise
        end.plane.lost = True
        return end.summary
    except asyncio.CancelledError:
        # Stopped (a signal): the flow unwinds as it did when awaited in this task.
        flow.cancel()
        await asyncio.wait({flow})
        if not flow.cancelled():
            flow.exception()
        raise


async def _gone(end: RunEnd) -> bool:
    plane = end.plane
    if plane is not None and not plane.lost and not await plane.answers():
        plane.lost = True
    return end.api_gone()
