"""The `visionbatch` command line."""

import asyncio
import logging
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from extractors.errors import RunAbortedError
from extractors.progress import NoProgress, ProgressListener
from flows.config import RunRequest, Secrets
from flows.report_command import report
from flows.terminal import (
    TerminalProgress,
    evaluation_table,
    misses_table,
    providers_table,
    summary_table,
)
from schemas import RunSummary

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Batch document extraction: PDFs and images to Parquet via vision models.",
)

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


@app.callback()
def main_callback() -> None:
    """visionbatch: files in, one Parquet row per page out."""


# Options shared by `run` and `serve`, declared once.
Inputs = Annotated[list[str], typer.Argument(help="Files or folders (recursed); paths or URLs.")]
Out = Annotated[str, typer.Option("--out", help="Output directory or URL (pages in OUT/pages/).")]
ProviderOpt = Annotated[
    str | None, typer.Option("--provider", help="Provider preset (env VISIONBATCH_PROVIDER).")
]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option("--base-url", help="OpenAI-compatible base URL (env VISIONBATCH_BASE_URL)."),
]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model (env VISIONBATCH_MODEL).")]
ConcurrencyOpt = Annotated[
    int | None,
    typer.Option("--concurrency", min=1, help="Requests in flight (default: the provider's)."),
]
RpmOpt = Annotated[
    int | None, typer.Option("--rpm", min=1, help="Most requests per minute (every attempt).")
]
TpmOpt = Annotated[
    int | None, typer.Option("--tpm", min=1, help="Most tokens per minute (prompt + answer).")
]
SchemaOpt = Annotated[
    str,
    typer.Option(
        "--schema",
        help="page_text (per page), receipt, invoice (per document), a JSON Schema file "
        "(path/to/schema.json) or a Pydantic model (package.module:Model).",
    ),
]
PromptOpt = Annotated[
    Path | None,
    typer.Option(
        "--prompt", help="Text file of instructions added to the schema's (recorded per row)."
    ),
]
TemperatureOpt = Annotated[
    float, typer.Option("--temperature", min=0.0, max=2.0, help="Sampling temperature.")
]
TopPOpt = Annotated[
    float | None, typer.Option("--top-p", min=0.0, max=1.0, help="Nucleus sampling.")
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Sampling seed, where supported.")]
MaxImagesOpt = Annotated[
    int | None,
    typer.Option("--max-images", min=1, help="Images per request (default: provider limit)."),
]
ContextOpt = Annotated[
    int | None, typer.Option("--context-tokens", min=1, help="Model context (default: model's).")
]
MaxOutputOpt = Annotated[
    int | None, typer.Option("--max-output-tokens", min=1, help="Answer tokens.")
]
TimeoutOpt = Annotated[
    float | None, typer.Option("--timeout", min=0.1, help="Seconds per request.")
]
ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--token-profile",
        help="pixtral, qwen2.5-vl, gemma3, llava-1.5, openai (default: by model).",
    ),
]
MaxDpiOpt = Annotated[int, typer.Option("--max-dpi", min=10, help="Resolution cap for PDFs.")]
ShardSizeOpt = Annotated[
    int, typer.Option("--shard-size", min=1, help="Documents per Prefect task.")
]
RenderWorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--render-workers", min=0, help="Processes rendering pages (default: cores; 0: a thread)."
    ),
]
IncludeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--include",
        help="Only files whose path under the folder matches this glob (repeatable; "
        "`*` crosses folders: '*.pdf').",
    ),
]
ExcludeOpt = Annotated[
    list[str] | None,
    typer.Option("--exclude", help="Leave out files matching this glob (repeatable)."),
]
SinceOpt = Annotated[
    datetime | None,
    typer.Option(
        "--since",
        formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
        help="Only files modified at or after this date (local time).",
    ),
]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="At most N files.")]
DaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        help="Run shards on Dask: `local` (a LocalCluster) or a scheduler address "
        "(tcp://host:8786).",
    ),
]
DaskWorkersOpt = Annotated[
    int | None, typer.Option("--dask-workers", min=1, help="Workers of `--dask local`.")
]


@app.command()
def run(
    inputs: Inputs,
    out: Out,
    provider: ProviderOpt = None,
    base_url: BaseUrlOpt = None,
    model: ModelOpt = None,
    concurrency: ConcurrencyOpt = None,
    rpm: RpmOpt = None,
    tpm: TpmOpt = None,
    schema: SchemaOpt = "page_text",
    prompt: PromptOpt = None,
    temperature: TemperatureOpt = 0.0,
    top_p: TopPOpt = None,
    seed: SeedOpt = None,
    max_images: MaxImagesOpt = None,
    context_tokens: ContextOpt = None,
    max_output_tokens: MaxOutputOpt = None,
    timeout: TimeoutOpt = None,
    password: Annotated[
        str | None, typer.Option(help="Password of encrypted PDFs (env VISIONBATCH_PASSWORD).")
    ] = None,
    token_profile: ProfileOpt = None,
    max_dpi: MaxDpiOpt = 200,
    shard_size: ShardSizeOpt = 64,
    render_workers: RenderWorkersOpt = None,
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    since: SinceOpt = None,
    limit: LimitOpt = None,
    dask: DaskOpt = None,
    dask_workers: DaskWorkersOpt = None,
) -> None:
    """Extract every page of INPUT... into OUT/pages/ (Parquet)."""
    options = {k: v for k, v in locals().items() if k != "password"}
    request = _request(**options)
    console = Console(stderr=True)
    summary = _run_or_exit(request, password, console)
    Console().print(summary_table(summary))


@app.command()
def serve(
    inputs: Inputs,
    out: Out,
    cron: Annotated[
        str | None, typer.Option("--cron", help='Schedule, e.g. "*/15 * * * *".')
    ] = None,
    interval: Annotated[
        float | None, typer.Option("--interval", min=1, help="Schedule: every N seconds.")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Deployment name.")] = "inbox",
    provider: ProviderOpt = None,
    base_url: BaseUrlOpt = None,
    model: ModelOpt = None,
    concurrency: ConcurrencyOpt = None,
    rpm: RpmOpt = None,
    tpm: TpmOpt = None,
    schema: SchemaOpt = "page_text",
    prompt: PromptOpt = None,
    temperature: TemperatureOpt = 0.0,
    top_p: TopPOpt = None,
    seed: SeedOpt = None,
    max_images: MaxImagesOpt = None,
    context_tokens: ContextOpt = None,
    max_output_tokens: MaxOutputOpt = None,
    timeout: TimeoutOpt = None,
    token_profile: ProfileOpt = None,
    max_dpi: MaxDpiOpt = 200,
    shard_size: ShardSizeOpt = 64,
    render_workers: RenderWorkersOpt = None,
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    dask: DaskOpt = None,
    dask_workers: DaskWorkersOpt = None,
) -> None:
    """Serve the extraction of INPUT... into OUT as a Prefect deployment on a schedule.

    Every run takes only files that are new or changed since the last (the resume ledger).
    Keys come from the environment (VISIONBATCH_API_KEY), never from the parameters.
    """
    options = {k: v for k, v in locals().items() if k not in ("cron", "interval", "name")}
    # Runs start later, in whatever directory the runner is in: pin local paths now.
    options["inputs"] = [_absolute(location) for location in inputs]
    options["out"] = _absolute(out)
    request = _request(**options)
    _quiet_prefect()
    from flows.schedule import build_deployment, serve_deployment

    every = timedelta(seconds=interval) if interval is not None else None
    try:
        deployment = build_deployment(request, name, cron=cron, interval=every)
    except ValueError as exc:
        typer.echo(f"visionbatch: error: {exc}", err=True)
        raise typer.Exit(1) from None
    serve_deployment(deployment)


def _absolute(location: str) -> str:
    return location if "://" in location else str(Path(location).resolve())


def _request(**options: Any) -> RunRequest:
    """The flow's parameters from the command line's options."""
    prompt = options.pop("prompt")
    renamed = {
        "schema_name": options.pop("schema"),
        "requests_per_minute": options.pop("rpm"),
        "tokens_per_minute": options.pop("tpm"),
        "prompt_file": str(prompt) if prompt else None,
        "include": options.pop("include") or [],
        "exclude": options.pop("exclude") or [],
    }
    return RunRequest(**options, **renamed)


app.command("report")(report)


@app.command("providers")
def list_providers() -> None:
    """The provider presets: base URL, default model, limits and what each endpoint supports."""
    Console().print(providers_table())


@app.command("eval")
def evaluate_fields(
    out: Annotated[Path, typer.Argument(help="Output directory of a --schema receipt run.")],
    truth: Annotated[
        Path, typer.Option("--truth", help="Folder of ground-truth JSON files (SROIE style).")
    ],
    schema: Annotated[str, typer.Option(help="Dataset under OUT to evaluate.")] = "receipt",
    show_misses: Annotated[int, typer.Option(min=0, help="Misses to list.")] = 30,
) -> None:
    """Compare extracted receipt fields with ground truth: accuracy per field, and the misses."""
    from extractors.report.evaluation import evaluate, load_truth
    from extractors.sink.store import read_rows

    dataset = out / schema
    rows = read_rows(dataset)
    if not rows:
        typer.echo(f"visionbatch: error: no rows in {dataset}", err=True)
        raise typer.Exit(1)
    report = evaluate(rows, load_truth(truth))
    console = Console()
    console.print(evaluation_table(report))
    if report.misses and show_misses:
        console.print(misses_table(report, show_misses))


def _quiet_prefect() -> None:
    """Prefect's settings for a quiet command line; call before anything imports Prefect."""
    for name, value in _PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    # Prefect's event worker warns "Still processing items" while it drains at exit: noise
    # after the run's own last line (its logger is not under Prefect's logging settings).
    logging.getLogger("EventsWorker").setLevel(logging.ERROR)


def _run_or_exit(request: RunRequest, password: str | None, console: Console) -> RunSummary:
    _quiet_prefect()
    # Imported here, after the defaults: importing Prefect reads its settings.
    from flows.flow import secrets_from_environment

    environment = secrets_from_environment()
    secrets = Secrets(api_key=environment.api_key, password=password or environment.password)
    try:
        if console.is_terminal:
            with TerminalProgress(console) as progress:
                return asyncio.run(_call_flow(request, secrets, progress))
        return asyncio.run(_call_flow(request, secrets, NoProgress()))
    except RunAbortedError as exc:
        typer.echo(f"visionbatch: error: {exc}", err=True)
        raise typer.Exit(1) from None


async def _call_flow(
    request: RunRequest, secrets: Secrets, progress: ProgressListener
) -> RunSummary:
    from flows.flow import extract
    from flows.hooks import RunHooks, run_hooks

    async with run_hooks(RunHooks(secrets, progress)):
        return await extract(request)


def main() -> None:
    """Entry point of the `visionbatch` console script."""
    app(prog_name="visionbatch")
