"""Scheduled jobs: the extract flow as a Prefect deployment on a cron or interval schedule.

Each scheduled run is an ordinary run into the same OUT: the resume ledger (content hash,
model, schema, prompt) makes it take only files that are new or changed since the last one.
"""

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.flow import extract
from flows.parameters import RunRequest
from flows.prefect_server import free_port, server_command, wait_healthy

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


def serve_deployment(deployment: RunnerDeployment) -> None:
    """Register the deployment and run its scheduled runs in this process until interrupted.

    With PREFECT_API_URL set (the user's, or the reusable local server's), the deployment goes
    to that server. Without it, a Prefect server is started beside this process: Prefect's
    temporary server runs no scheduler, so scheduled runs would never be created.
    """
    if PREFECT_API_URL.value():
        serve(deployment, print_starting_message=True, limit=1)
        return
    with local_prefect_server() as api_url, temporary_settings({PREFECT_API_URL: api_url}):
        serve(deployment, print_starting_message=True, limit=1)


@contextmanager
def local_prefect_server(start_timeout: float = 120.0) -> Iterator[str]:
    """`prefect server start` on a free loopback port, with its scheduler; yields the API URL."""
    port = free_port()
    server = subprocess.Popen(
        server_command(port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
