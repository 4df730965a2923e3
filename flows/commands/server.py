"""`visionbatch server status | stop`: the reusable local Prefect server."""

import typer

from flows.commands.cli_options import HelpGroup

server_app = typer.Typer(
    cls=HelpGroup, help="The local Prefect server that runs reuse (see README)."
)


@server_app.command("status")
def server_status() -> None:
    """Say whether the reusable local Prefect server is running, and where."""
    from flows.orchestration.prefect_server import configured_api_url, running_server

    configured = configured_api_url()
    if configured:
        typer.echo(f"PREFECT_API_URL is set: runs use {configured}")
        return
    running = running_server()
    typer.echo(f"running at {running}" if running else "not running")


@server_app.command("stop")
def server_stop() -> None:
    """Stop the reusable local Prefect server (the next run starts it again)."""
    from flows.orchestration.prefect_server import stop_server

    typer.echo("stopped" if stop_server() else "not running")
