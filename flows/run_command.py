"""A run from the command line: checked first, then the flow, then its summary or one line.

Everything a user can get wrong is checked before Prefect starts; the run itself is the Prefect
flow, against the reusable local server; SIGINT and SIGTERM stop it cleanly (`flows/stop.py`).
"""

import asyncio
import logging
import os
import subprocess
from contextlib import nullcontext
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from extractors.errors import RunAbortedError
from flows.parameters import RunRequest
from flows.terminal_text import say, say_error

if TYPE_CHECKING:
    from extractors.progress import ProgressListener
    from flows.config import Secrets
    from flows.stop import StopSignals
    from schemas import RunSummary

# Prefect settings for a quiet, reliable command line (../shared/docs/prefect.md); a user's
# own environment or profile wins over each of them.
_PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",  # Prefect's client-side telemetry, and its notice on stderr
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    # The flow's own failure is reported as one line below; Prefect's traceback would bury it.
    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "CRITICAL",
    # Dask logs every scheduler and worker start and stop at INFO (its own logging config).
    "DASK_LOGGING__DISTRIBUTED": "warning",
}


def prepare_prefect() -> bool:
    """Prefect's settings for a quiet command line and the reusable server to run against;
    call before anything imports Prefect (it reads its settings then). False when no server
    is set: Prefect would start its temporary one."""
    for name, value in _PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    # Prefect's event worker warns "Still processing items" while it drains at exit: noise
    # after the run's own last line (its logger is not under Prefect's logging settings).
    logging.getLogger("EventsWorker").setLevel(logging.ERROR)
    return _reuse_prefect_server()


def _reuse_prefect_server() -> bool:
    """Connect to the reusable local Prefect server (started on first need), or to the one
    configured; False, with a warning when the reusable one cannot be had, when none is."""
    from flows.prefect_server import PrefectServerError, configured_api_url, use_reusable_server

    try:
        return use_reusable_server() is not None or configured_api_url() is not None
    except (PrefectServerError, OSError, subprocess.SubprocessError) as exc:
        say(f"visionbatch: warning: {exc}; using Prefect's temporary server", err=True)
        return False


def _start_prefect() -> None:
    """The reusable or configured server; else Prefect's temporary one, started now and
    apart from the run's process group (`flows/stop.py`). Ctrl-C meanwhile is one line."""
    from flows.stop import exit_now, start_temporary_server_apart

    try:
        if not prepare_prefect():
            start_temporary_server_apart()
    except KeyboardInterrupt:
        typer.echo("interrupted before the run started", err=True)
        exit_now(130)


def run_or_exit(request: RunRequest, password: str | None, console: Console) -> "RunSummary":
    from extractors.progress import NoProgress
    from flows.settings import EnvironmentSettings
    from flows.stop import PageTally, StopSignals, exit_now
    from flows.terminal import TerminalProgress

    # The environment is read once, here; the flow gets the secrets through its hooks.
    environment = EnvironmentSettings()
    request, secrets = environment.fill(request), environment.secrets(password)
    try:
        # Every option, input and setting is checked before Prefect or the renderers start.
        preflight(request, secrets)
    except RunAbortedError as exc:
        say_error(exc)
        raise typer.Exit(1) from None
    from flows.warm_start import warm_up_in_background

    warm_up_in_background(request)
    _start_prefect()
    stop = StopSignals()
    terminal = TerminalProgress(console) if console.is_terminal and not console.quiet else None
    tally = PageTally(terminal or NoProgress())
    try:
        with terminal or nullcontext():
            return asyncio.run(_call_flow(request, secrets, tally, stop))
    except RunAbortedError as exc:
        say_error(exc)
        raise typer.Exit(1) from None
    except asyncio.CancelledError:
        if stop.received is None:
            raise
    typer.echo(
        f"interrupted: {tally.done} of {tally.planned} pages done; "
        "run the same command to continue",
        err=True,
    )
    exit_now(stop.exit_code)
    raise AssertionError("unreachable: exit_now does not return")


def preflight(request: RunRequest, secrets: "Secrets") -> None:
    """RunAbortedError, at once, for a run that cannot work: options, provider, schema, key,
    inputs that do not exist, an output that cannot be written."""
    from extractors.discover.files import check_inputs
    from extractors.discover.storage import normalise_location
    from extractors.sink.store import check_writable
    from flows.batch_checks import check_batch_request
    from flows.config import resolve_run

    check_batch_request(request, resolve_run(request, secrets))
    check_inputs([normalise_location(location) for location in request.inputs])
    check_writable(normalise_location(request.out))


async def _call_flow(
    request: RunRequest, secrets: "Secrets", progress: "ProgressListener", stop: "StopSignals"
) -> "RunSummary":
    from flows.bookkeeping import RunEnd, outlive_lost_api, quiet_lost_events
    from flows.flow import extract
    from flows.hooks import RunHooks, run_hooks

    stop.arm()
    # Prefect's API keeps the run's record, not its rows: a run finishes without it.
    end = RunEnd()
    quiet_lost_events()
    counting = asyncio.create_task(_count_pages(request, secrets, progress))
    try:
        hooks = RunHooks(secrets, progress, on_start=stop.arm, on_finish=end.finished)
        async with run_hooks(hooks):
            summary = await outlive_lost_api(extract(request), end)
    finally:
        counting.cancel()
    if end.api_gone():
        say(f"visionbatch: warning: {end.lost_track()}", err=True)
    return summary


async def _count_pages(
    request: RunRequest, secrets: "Secrets", progress: "ProgressListener"
) -> None:
    """The pages bar's total, counted on a thread beside the run (`benchmarks/page_count.py`
    measures it per file); none for remote inputs, which are not fetched for it."""
    from extractors.discover.page_count import count_pages
    from extractors.discover.storage import absolute_location

    inputs = [absolute_location(location) for location in request.inputs]
    excluded = [absolute_location(request.out)]
    total = await asyncio.to_thread(
        count_pages, inputs, excluded, request.discovery, secrets.password
    )
    if total is not None:
        progress.pages_found(total)
