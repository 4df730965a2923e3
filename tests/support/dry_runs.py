"""One dry run through the CLI against the test server, as figures and as the lines shown."""

import json
from pathlib import Path
from typing import Any

from chat_server import ChatServer
from typer.testing import CliRunner

from flows.commands.cli import app


def dry_run_with_lines(inputs: Path, out: Path, *extra: str) -> tuple[dict[str, Any], str]:
    """The figures (`--json`) and the lines a person reads, of one dry run (no request made)."""
    with ChatServer() as server:
        args = ["run", str(inputs), "--out", str(out), "--base-url", server.base_url, *extra]
        runner = CliRunner()
        figures = runner.invoke(app, [*args, "--dry-run", "--json"], catch_exceptions=False)
        shown = runner.invoke(app, [*args, "--dry-run"], catch_exceptions=False)
        assert server.request_count == 0
    assert figures.exit_code == 0 and shown.exit_code == 0, figures.output + shown.output
    return json.loads(figures.stdout), shown.stdout
