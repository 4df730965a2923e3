"""The `visionbatch` command line."""

import asyncio
import logging
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from extractors.errors import RunAbortedError
from extractors.progress import NoProgress, ProgressListener
from flows.config import RunRequest, Secrets
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
}


@app.callback()
def main_callback() -> None:
    """visionbatch: files in, one Parquet row per page out."""


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(help="Files or folders (recursed).")],
    out: Annotated[Path, typer.Option("--out", help="Output directory (pages in OUT/pages/).")],
    provider: Annotated[
        str | None, typer.Option(help="Provider preset (env VISIONBATCH_PROVIDER).")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible base URL (env VISIONBATCH_BASE_URL).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model (env VISIONBATCH_MODEL).")] = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Requests in flight (default: the provider's).")
    ] = None,
    rpm: Annotated[
        int | None, typer.Option("--rpm", min=1, help="Most requests per minute (every attempt).")
    ] = None,
    tpm: Annotated[
        int | None, typer.Option("--tpm", min=1, help="Most tokens per minute (prompt + answer).")
    ] = None,
    schema: Annotated[
        str,
        typer.Option(
            help="page_text (per page), receipt, invoice (per document), a JSON Schema file "
            "(path/to/schema.json) or a Pydantic model (package.module:Model)."
        ),
    ] = "page_text",
    prompt: Annotated[
        Path | None,
        typer.Option(help="Text file of instructions added to the schema's (recorded per row)."),
    ] = None,
    temperature: Annotated[
        float, typer.Option(min=0.0, max=2.0, help="Sampling temperature.")
    ] = 0.0,
    top_p: Annotated[
        float | None, typer.Option("--top-p", min=0.0, max=1.0, help="Nucleus sampling.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed, where supported.")] = None,
    max_images: Annotated[
        int | None, typer.Option(min=1, help="Images per request (default: provider limit).")
    ] = None,
    context_tokens: Annotated[
        int | None, typer.Option(min=1, help="Model context (default: the model's).")
    ] = None,
    max_output_tokens: Annotated[int | None, typer.Option(min=1, help="Answer tokens.")] = None,
    timeout: Annotated[float | None, typer.Option(min=0.1, help="Seconds per request.")] = None,
    password: Annotated[
        str | None, typer.Option(help="Password of encrypted PDFs (env VISIONBATCH_PASSWORD).")
    ] = None,
    token_profile: Annotated[
        str | None,
        typer.Option(help="pixtral, qwen2.5-vl, gemma3, llava-1.5, openai (default: by model)."),
    ] = None,
    max_dpi: Annotated[int, typer.Option(min=10, help="Resolution cap for PDF pages.")] = 200,
    shard_size: Annotated[int, typer.Option(min=1, help="Documents per Prefect task.")] = 64,
) -> None:
    """Extract every page of INPUT... into OUT/pages/ (Parquet)."""
    request = RunRequest(
        inputs=[str(p) for p in inputs],
        out=str(out),
        provider=provider,
        base_url=base_url,
        model=model,
        concurrency=concurrency,
        requests_per_minute=rpm,
        tokens_per_minute=tpm,
        schema_name=schema,
        prompt_file=str(prompt) if prompt else None,
        temperature=temperature,
        top_p=top_p,
        seed=seed,
        max_images=max_images,
        context_tokens=context_tokens,
        max_output_tokens=max_output_tokens,
        timeout=timeout,
        token_profile=token_profile,
        max_dpi=max_dpi,
        shard_size=shard_size,
    )
    console = Console(stderr=True)
    summary = _run_or_exit(request, password, console)
    Console().print(summary_table(summary))


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
    from extractors.evaluation import evaluate, load_truth
    from extractors.sink import read_rows

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


def _run_or_exit(request: RunRequest, password: str | None, console: Console) -> RunSummary:
    for name, value in _PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    # Imported here, after the defaults above: importing Prefect reads its settings.
    from flows.flow import secrets_from_environment

    # Prefect's event worker warns "Still processing items" while it drains at exit: noise
    # after the run's own last line (its logger is not under Prefect's logging settings).
    logging.getLogger("EventsWorker").setLevel(logging.ERROR)

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
    from flows.flow import RunHooks, extract, run_hooks

    async with run_hooks(RunHooks(secrets, progress)):
        return await extract(request)


def main() -> None:
    """Entry point of the `visionbatch` console script."""
    app(prog_name="visionbatch")
