"""Scheduled jobs: the extract flow as a Prefect deployment on a cron or interval schedule.

Each scheduled run is an ordinary run into the same OUT: the resume ledger (content hash,
model, schema, prompt) makes it take only files that are new or changed since the last one.
"""

import asyncio
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prefect.deployments.runner import RunnerDeployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.options.parameters import RunRequest
from flows.orchestration.flow import extract
from flows.orchestration.loop_errors import quiet_cancelled_connections
from flows.orchestration.prefect_server import free_port, server_command, wait_healthy
from flows.orchestration.stop import StopSignals

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.objects import FlowRun

DEFAULT_DEPLOYMENT = "inbox"


def build_deployment(
    request: RunRequest,
    name: str = DEFAULT_DEPLOYMENT,
    cron: str | None = None,
    interval: timedelta | None = None,
) -> RunnerDeployment:
    """The extract flow with these parameters on one schedule (exactly one of cron, interval).

    The parameters hold no secret: the runs read VISIONBATCH_API_KEY from the environment of
    the process that executes them.
    """
    if (cron is None) == (interval is None):
        raise ValueError("give exactly one of --cron and --interval")
    return RunnerDeployment.from_flow(
        extract,
        name=name,
        cron=cron,
        interval=interval,
        parameters={"request": request.model_dump(mode="json")},
        description=f"visionbatch: new and changed files of {', '.join(request.inputs)} "
        f"into {request.out}",
        tags=["visionbatch"],
        # Two runs into one OUT would meet the output lock: a late run waits its turn instead.
        concurrency_limit=1,
    )


SUMMARY_ARTIFACT = "visionbatch-run-summary"


@dataclass(frozen=True)
class RunLine:
    """What `serve` says of one scheduled run: a line, and the run's summary when it has one."""

    name: str
    text: str
    summary: dict[str, Any] | None = None


# Told of each run as it ends (`serve` prints it, as a line or as JSON).
RunSayer = Callable[[RunLine], None]


def serve_deployment(deployment: RunnerDeployment, say_run: RunSayer) -> int:
    """Register the deployment and run its scheduled runs in this process until SIGINT or
    SIGTERM; `say_run` gets one line per finished run. Returns the exit code (128 + signal).

    With PREFECT_API_URL set (the user's, or the reusable local server's), the deployment goes
    to that server. Without it, a Prefect server is started beside this process: Prefect's
    temporary server runs no scheduler, so scheduled runs would never be created.
    """
    if PREFECT_API_URL.value():
        return asyncio.run(_serve_until_stopped(deployment, say_run))
    with local_prefect_server() as api_url, temporary_settings({PREFECT_API_URL: api_url}):
        return asyncio.run(_serve_until_stopped(deployment, say_run))


async def _serve_until_stopped(deployment: RunnerDeployment, say_run: RunSayer) -> int:
    """Prefect's runner, stopped by our own signal handlers (`flows/orchestration/stop.py`):
    its SIGTERM handler calls a coroutine without awaiting it, and it has none for SIGINT."""
    from prefect.runner import Runner

    asyncio.get_running_loop().set_exception_handler(quiet_cancelled_connections)
    stop = StopSignals()
    stop.arm()
    runner = Runner(limit=1, pause_on_shutdown=False)
    deployment_id = await runner.aadd_deployment(deployment)
    serving = asyncio.create_task(runner.start())
    reporting = asyncio.create_task(report_runs(deployment_id, say_run))
    await asyncio.sleep(0)  # the runner sets its SIGTERM handler as it starts: ours again
    stop.arm()
    try:
        await asyncio.gather(serving, reporting)
    except asyncio.CancelledError:
        if stop.received is None:
            raise
    finally:
        reporting.cancel()
    return stop.exit_code


async def report_runs(deployment_id: UUID, say_run: RunSayer, every: float = 2.0) -> None:
    """One line for each run of the deployment that ends, as it ends."""
    from prefect import get_client

    seen: set[UUID] = set()
    since = datetime.now(UTC)  # runs of an earlier `serve` of this deployment are not ours
    async with get_client() as client:
        while True:
            for flow_run in await _finished_runs(client, deployment_id, since):
                if flow_run.id not in seen:
                    seen.add(flow_run.id)
                    say_run(await _run_line(client, flow_run))
            await asyncio.sleep(every)


async def _finished_runs(
    client: "PrefectClient", deployment_id: UUID, since: datetime
) -> "list[FlowRun]":
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterEndTime,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    ended = [StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED]
    return await client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
        flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=ended)),
            end_time=FlowRunFilterEndTime.model_validate({"after_": since}),
        ),
        sort=FlowRunSort.END_TIME_DESC,
        limit=20,
    )


async def _run_line(client: "PrefectClient", flow_run: "FlowRun") -> RunLine:
    """The run's summary (its `visionbatch-run-summary` artifact) in one line."""
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterId,
    )

    artifacts = await client.read_artifacts(
        artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[SUMMARY_ARTIFACT])),
        flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id])),
    )
    table = _table(artifacts[0].data) if artifacts else None
    if table is None:
        state = (flow_run.state_name or "ended").lower()
        message = flow_run.state.message if flow_run.state else None
        text = f"run {flow_run.name}: {state}" + (f": {message}" if message else "")
        return RunLine(flow_run.name, text)
    return summary_line(flow_run.name, {row["metric"]: row["value"] for row in table})


def _table(data: object) -> list[dict[str, Any]] | None:
    """A table artifact's rows (Prefect stores them as a JSON string)."""
    rows = json.loads(data) if isinstance(data, str) else data
    return rows if isinstance(rows, list) else None


def summary_line(name: str, summary: dict[str, Any]) -> RunLine:
    """`run NAME: 3 files found, 5 pages ok, 1 error, 2.4 s`."""
    unit, errors = summary.get("unit", "page"), int(summary["pages_error"])
    text = (
        f"run {name}: {summary['documents']} files found, {summary['pages_ok']} {unit}s ok, "
        f"{errors} error{'s' if errors != 1 else ''}, {float(summary['wall_seconds']):.1f} s"
    )
    return RunLine(name, text, summary)


@contextmanager
def local_prefect_server(start_timeout: float = 120.0) -> Iterator[str]:
    """`prefect server start` on a free loopback port, with its scheduler; yields the API URL."""
    port = free_port()
    server = subprocess.Popen(
        server_command(port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Apart from our process group: Ctrl-C is for `serve`, which stops it after its runner.
        start_new_session=True,
        env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"},
    )
    api_url = f"http://127.0.0.1:{port}/api"
    try:
        wait_healthy(api_url, start_timeout, server)
        yield api_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
