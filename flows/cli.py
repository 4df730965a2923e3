"""The `visionbatch` command line."""

import inspect
import json
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from extractors.errors import RunAbortedError
from flows.cli_options import HelpCommand, HelpGroup, command, flag_of, given, group_parameters
from flows.eval_command import evaluate_fields
from flows.export_command import export
from flows.ingest_command import ingest
from flows.parameters import RUN_GROUPS, EndpointChoice, ExtractionChoice, RunRequest
from flows.report_command import report
from flows.run_command import preflight, prepare_prefect, run_or_exit
from flows.server_command import server_app
from flows.terminal_text import say, say_error

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

app = typer.Typer(
    cls=HelpGroup,
    add_completion=False,
    no_args_is_help=True,
    help="Batch document extraction: PDFs and images to Parquet via vision models.",
)


def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import version

        typer.echo(f"visionbatch {version('visionbatch')}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """visionbatch: files in, one Parquet row per page out."""


_RUN_PARAMETERS = group_parameters(RUN_GROUPS)
_PASSWORD = inspect.Parameter(
    "password",
    inspect.Parameter.KEYWORD_ONLY,
    annotation=Annotated[
        str | None,
        typer.Option(
            help="Password of encrypted PDFs (env VISIONBATCH_PASSWORD).",
            metavar="PASSWORD",
            rich_help_panel=ExtractionChoice.__doc__,
        ),
    ],
    default=None,
)


# Never a flow parameter: a gateway's key often travels in a header (see _with_headers).
_HEADER = inspect.Parameter(
    "header",
    inspect.Parameter.KEYWORD_ONLY,
    annotation=Annotated[
        list[str] | None,
        typer.Option(
            help="Header sent with every request, e.g. 'X-Title=my app' (repeatable; env "
            "VISIONBATCH_HEADERS); one named like a credential (*key*, *token*, authorization) "
            "is never logged or stored.",
            metavar="NAME=VALUE",
            rich_help_panel=EndpointChoice.__doc__,
            show_default=False,
        ),
    ],
    default=None,
)


def _with_headers(values: dict[str, Any]) -> None:
    """Check `--header` values (exit 2 for a malformed one) and hand them to the run through
    the environment, as the key is handed: never as parameters."""
    from extractors.endpoint.headers import parse_header
    from flows.settings import export_headers

    items = values.get("header") or []
    try:
        for item in items:
            parse_header(item)
    except ValueError as exc:
        say_error(f"--header: {exc}")
        raise typer.Exit(2) from None
    export_headers(items)


def _output_parameters() -> list[inspect.Parameter]:
    """How the command reports, not what the flow does: never flow parameters."""

    def switch(name: str, help_text: str) -> inspect.Parameter:
        info = typer.Option(f"--{name}", help=help_text, rich_help_panel="Output")
        kind = inspect.Parameter.KEYWORD_ONLY
        return inspect.Parameter(name, kind, annotation=Annotated[bool, info], default=False)

    return [
        switch("quiet", "No progress bar and no summary table: errors only (on stderr)."),
        switch("json", "The summary as one JSON object on stdout (no table; implies --quiet)."),
    ]


def _schedule_parameters() -> list[inspect.Parameter]:
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


def _run(values: dict[str, Any]) -> None:
    request = run_request(values)
    _with_headers(values)
    if request.dry_run:
        from flows.dry_run import dry_run_or_exit
        from flows.settings import EnvironmentSettings

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
        from flows.terminal import summary_table

        Console().print(summary_table(summary, command_seconds))


def _serve(values: dict[str, Any]) -> None:
    # Runs start later, in whatever directory the runner is in: pin local paths now.
    values = {
        **values,
        "inputs": [_absolute(location) for location in values["inputs"]],
        "out": _absolute(values["out"]),
    }
    request = run_request(values)
    from flows.settings import EnvironmentSettings

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
    from flows.schedule import build_deployment

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
    from flows.schedule import RunLine, serve_deployment
    from flows.stop import exit_now

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


app.command("run", cls=HelpCommand)(
    command(
        [*_RUN_PARAMETERS, _HEADER, _PASSWORD, *_output_parameters()],
        _run,
        "Extract every page of INPUT... into OUT (Parquet).",
    )
)
app.command("serve", cls=HelpCommand)(
    command(
        [*_RUN_PARAMETERS, _HEADER, _PASSWORD, *_output_parameters(), *_schedule_parameters()],
        _serve,
        """Serve the extraction of INPUT... into OUT as a Prefect deployment on a schedule.

    Every run takes only files that are new or changed since the last (the resume ledger).
    Keys come from the environment (VISIONBATCH_API_KEY), never from the parameters.
    """,
    )
)


def _absolute(location: str) -> str:
    return location if "://" in location else str(Path(location).resolve())


app.command("report", cls=HelpCommand)(report)
app.command("ingest", cls=HelpCommand)(ingest)
app.command("export", cls=HelpCommand)(export)


@app.command("providers", cls=HelpCommand)
def list_providers() -> None:
    """The provider presets: base URL, default model, limits and what each endpoint supports."""
    from flows.terminal import providers_view

    console = Console()
    console.print(providers_view(console.width))


app.command("eval", cls=HelpCommand)(evaluate_fields)
app.add_typer(server_app, name="server")


def main() -> None:
    """Entry point of the `visionbatch` console script."""
    app(prog_name="visionbatch")
