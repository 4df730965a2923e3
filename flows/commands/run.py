"""A run from the command line: checked first, then the flow, then its summary or one line.

Everything a user can get wrong is checked before Prefect starts; the run itself is the Prefect
flow, against the reusable local server; SIGINT and SIGTERM stop it cleanly
(`flows/orchestration/stop.py`).
"""

import asyncio
import logging
import os
import subprocess
import time
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from extractors.errors import RunAbortedError
from flows.commands.cli_options import flag_of, given
from flows.options.parameters import RunRequest
from flows.terminal.text import say, say_error

if TYPE_CHECKING:
    from extractors.progress import ProgressListener
    from flows.options.config import Secrets
    from flows.orchestration.stop import StopSignals
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


def run_command(values: dict[str, Any]) -> None:
    """`visionbatch run`: a dry run, or the run and its summary (a table, JSON or nothing)."""
    request = run_request(values)
    _with_headers(values)
    if request.dry_run:
        from flows.commands.dry_run import dry_run_or_exit
        from flows.options.settings import EnvironmentSettings

        environment = EnvironmentSettings()
        request = environment.fill(request)
        secrets = environment.secrets(values.get("password"))
        dry_run_or_exit(request, secrets, as_json=values["json"])
        return
    quiet = values["quiet"] or values["json"]
    summary = run_or_exit(request, values.get("password"), Console(stderr=True, quiet=quiet))
    from flows.__main__ import COMMAND_STARTED

    command_seconds = round(time.monotonic() - COMMAND_STARTED, 2)
    if values["json"]:
        typer.echo(summary.model_copy(update={"command_seconds": command_seconds}).to_json())
    elif not quiet:
        from flows.terminal.display import summary_table

        Console().print(summary_table(summary, command_seconds))


def run_request(values: dict[str, Any]) -> RunRequest:
    """The flow's parameters from the command line; a bad value is one line and exit 2."""
    try:
        return RunRequest(**given(values, RunRequest.model_fields))
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        info = RunRequest.model_fields.get(name)
        where = flag_of(name, info) if info is not None else name
        say_error(f"{where}: {first['msg']}")
        raise typer.Exit(2) from None


def _with_headers(values: dict[str, Any]) -> None:
    """Check `--header` values (exit 2 for a malformed one) and hand them to the run through
    the environment, as the key is handed: never as parameters."""
    from extractors.endpoint.headers import parse_header
    from flows.options.settings import export_headers

    items = values.get("header") or []
    try:
        for item in items:
            parse_header(item)
    except ValueError as exc:
        say_error(f"--header: {exc}")
        raise typer.Exit(2) from None
    export_headers(items)


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
    from flows.orchestration.prefect_server import (
        PrefectServerError,
        configured_api_url,
        use_reusable_server,
    )

    try:
        return use_reusable_server() is not None or configured_api_url() is not None
    except (PrefectServerError, OSError, subprocess.SubprocessError) as exc:
        say(f"visionbatch: warning: {exc}; using Prefect's temporary server", err=True)
        return False


def _start_prefect() -> None:
    """The reusable or configured server; else Prefect's temporary one, started now and
    apart from the run's process group (`flows/orchestration/stop.py`). Ctrl-C meanwhile is
    one line."""
    from flows.orchestration.stop import exit_now, start_temporary_server_apart

    try:
        if not prepare_prefect():
            start_temporary_server_apart()
    except KeyboardInterrupt:
        typer.echo("interrupted before the run started", err=True)
        exit_now(130)


def run_or_exit(request: RunRequest, password: str | None, console: Console) -> "RunSummary":
    from extractors.progress import NoProgress
    from flows.options.settings import EnvironmentSettings
    from flows.orchestration.stop import PageTally, StopSignals, exit_now
    from flows.terminal.display import TerminalProgress

    # The environment is read once, here; the flow gets the secrets through its hooks.
    environment = EnvironmentSettings()
    request, secrets = environment.fill(request), environment.secrets(password)
    try:
        # Every option, input and setting is checked before Prefect or the renderers start.
        preflight(request, secrets)
    except RunAbortedError as exc:
        say_error(exc)
        raise typer.Exit(1) from None
    from flows.orchestration.warm_start import warm_up_in_background

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
    inputs that do not exist, an output that cannot be written, an endpoint nothing listens at."""
    from extractors.discover.files import check_inputs
    from extractors.discover.storage import normalise_location
    from extractors.sink.store import check_writable
    from flows.options.config import resolve_run
    from flows.orchestration.batch_checks import check_batch_request

    resolved = resolve_run(request, secrets)
    check_batch_request(request, resolved)
    check_inputs([normalise_location(location) for location in request.inputs])
    check_writable(normalise_location(request.out))
    if not (resolved.uses_local_engine or request.dry_run or request.batch_file_only):
        _check_reachable(resolved.session.endpoint.base_url)


def _check_reachable(base_url: str) -> None:
    """RunAbortedError for an endpoint nothing listens at, before anything slow starts."""
    from extractors.endpoint.reachability import unreachable_reason

    reason = unreachable_reason(base_url)
    if reason is not None:
        raise RunAbortedError(f"cannot connect to {base_url}: {reason}")


async def _call_flow(
    request: RunRequest, secrets: "Secrets", progress: "ProgressListener", stop: "StopSignals"
) -> "RunSummary":
    from flows.orchestration.bookkeeping import RunEnd, outlive_lost_api, quiet_lost_events
    from flows.orchestration.flow import extract
    from flows.orchestration.hooks import RunHooks, run_hooks

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
    from extractors.discover.page_ranges import parse_page_ranges
    from extractors.discover.storage import absolute_location

    inputs = [absolute_location(location) for location in request.inputs]
    excluded = [absolute_location(request.out)]
    pages = parse_page_ranges(request.pages)
    total = await asyncio.to_thread(
        count_pages, inputs, excluded, request.discovery, secrets.password, pages
    )
    if total is not None:
        progress.pages_found(total)
