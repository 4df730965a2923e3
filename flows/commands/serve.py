"""`visionbatch serve`: the extraction as a Prefect deployment on a schedule, a line per run.

The deployment and Prefect's runner are `flows/orchestration/schedule.py`; this is the command.
"""

import inspect
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from extractors.errors import RunAbortedError
from flows.commands.run import preflight, prepare_prefect, run_request
from flows.terminal.text import say, say_error

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment


def schedule_parameters() -> list[inspect.Parameter]:
    """serve's own options: when to run, and the deployment's name."""

    def option(name: str, hint: Any, default: Any, **settings: Any) -> inspect.Parameter:
        info = typer.Option(rich_help_panel="Schedule", **settings)
        kind = inspect.Parameter.KEYWORD_ONLY
        return inspect.Parameter(name, kind, annotation=Annotated[hint, info], default=default)

    return [
        option(
            "cron", str | None, None, metavar="EXPRESSION", help='Schedule, e.g. "*/15 * * * *".'
        ),
        option(
            "interval",
            float | None,
            None,
            min=1,
            metavar="SECONDS",
            help="Schedule: every N seconds.",
        ),
        option("name", str, "inbox", help="Deployment name."),
    ]


def serve_command(values: dict[str, Any]) -> None:
    """`visionbatch serve`: the run's checks, then its deployment served until stopped."""
    # Runs start later, in whatever directory the runner is in: pin local paths now.
    values = {
        **values,
        "inputs": [_absolute(location) for location in values["inputs"]],
        "out": _absolute(values["out"]),
    }
    request = run_request(values)
    from flows.options.settings import EnvironmentSettings

    password = values.get("password")
    try:
        preflight(request, EnvironmentSettings().secrets(password))
    except RunAbortedError as exc:
        say_error(exc)
        raise typer.Exit(1) from None
    if password is not None:
        # Scheduled runs are processes of their own: they read it where they read keys.
        os.environ["VISIONBATCH_PASSWORD"] = password
    prepare_prefect()
    from flows.orchestration.schedule import build_deployment

    interval = values.get("interval")
    every = timedelta(seconds=interval) if interval is not None else None
    try:
        deployment = build_deployment(
            request, values["name"], cron=values.get("cron"), interval=every
        )
    except ValueError as exc:
        say_error(exc)
        raise typer.Exit(1) from None
    when = f"every {interval:g} s" if interval is not None else f"cron {values.get('cron')}"
    _serve_until_stopped(deployment, when, values["json"], values["quiet"] or values["json"])


def _serve_until_stopped(
    deployment: "RunnerDeployment", when: str, as_json: bool, quiet: bool
) -> None:
    """Serve until SIGINT or SIGTERM, one line per run; then one line and 128 + the signal."""
    from flows.orchestration.schedule import RunLine, serve_deployment
    from flows.orchestration.stop import exit_now

    def say_run(line: RunLine) -> None:
        if as_json:
            typer.echo(json.dumps({"run": line.name, "line": line.text, "summary": line.summary}))
        elif not quiet or line.summary is None:
            say(line.text, err=line.summary is None)

    if not quiet:
        say(
            f"serving {deployment.flow_name}/{deployment.name} ({when}): a line per run; "
            "Ctrl-C stops",
            err=True,
        )
    try:
        code = serve_deployment(deployment, say_run)
    except KeyboardInterrupt:  # while the scheduler's server starts, before our handlers
        code = 130
    say(f"stopped serving {deployment.name}; serve again to go on", err=True)
    exit_now(code)


def _absolute(location: str) -> str:
    return location if "://" in location else str(Path(location).resolve())
