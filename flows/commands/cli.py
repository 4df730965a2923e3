"""The `visionbatch` command line."""

import inspect
from typing import Annotated

import typer
from rich.console import Console

from flows.commands.cli_options import (
    HelpCommand,
    HelpGroup,
    command,
    group_parameters,
)
from flows.commands.eval import evaluate_fields
from flows.commands.export import export
from flows.commands.ingest import ingest
from flows.commands.report import report
from flows.commands.run import run_command
from flows.commands.serve import schedule_parameters, serve_command
from flows.commands.server import server_app
from flows.options.parameters import RUN_GROUPS, EndpointChoice, ExtractionChoice

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


# Never a flow parameter: a gateway's key often travels in a header (see flows/commands/run.py).
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


app.command("run", cls=HelpCommand)(
    command(
        [*_RUN_PARAMETERS, _HEADER, _PASSWORD, *_output_parameters()],
        run_command,
        "Extract every page of INPUT... into OUT (Parquet).",
    )
)
app.command("serve", cls=HelpCommand)(
    command(
        [*_RUN_PARAMETERS, _HEADER, _PASSWORD, *_output_parameters(), *schedule_parameters()],
        serve_command,
        """Serve the extraction of INPUT... into OUT as a Prefect deployment on a schedule.

    Every run takes only files that are new or changed since the last (the resume ledger).
    Keys come from the environment (VISIONBATCH_API_KEY), never from the parameters.
    """,
    )
)


app.command("report", cls=HelpCommand)(report)
app.command("ingest", cls=HelpCommand)(ingest)
app.command("export", cls=HelpCommand)(export)


@app.command("providers", cls=HelpCommand)
def list_providers() -> None:
    """The provider presets: base URL, default model, limits and what each endpoint supports."""
    from flows.terminal.display import providers_view

    console = Console()
    console.print(providers_view(console.width))


app.command("eval", cls=HelpCommand)(evaluate_fields)
app.add_typer(server_app, name="server")


def main() -> None:
    """Entry point of the `visionbatch` console script."""
    app(prog_name="visionbatch")
