"""`visionbatch ingest DIR OUTPUT.jsonl...`: the output of `vllm run-batch` over the files that
`--batch-file-only` wrote, into DIR's dataset, as a batch's output is ingested."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from extractors.errors import RunAbortedError

# The stages load when the command runs, not with the command line.
if TYPE_CHECKING:
    from extractors.batch.lines import LineMap
    from extractors.batch.state import BatchPlan, BatchStore
    from extractors.document.shard import ShardSummary


def ingest(
    out: Annotated[Path, typer.Argument(help="The run's output directory (OUT/batches/).")],
    outputs: Annotated[list[Path], typer.Argument(help="Output JSONL files of vllm run-batch.")],
) -> None:
    """Ingest `vllm run-batch` output for the batch files `run --batch-file-only` wrote."""
    try:
        summary = asyncio.run(ingest_outputs(out, outputs))
    except RunAbortedError as exc:
        typer.echo(f"visionbatch: error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"ingested: {summary.pages_ok} pages ok, {summary.pages_error} errors")


async def ingest_outputs(out: Path, outputs: list[Path]) -> "ShardSummary":
    """Every line of `outputs` into rows; pages no line answered become error rows."""
    from extractors.batch.state import BatchStore
    from extractors.document.batch_session import BatchAnswers, ingest_lines
    from extractors.document.session import open_session
    from flows.config import Secrets, resolve_run
    from flows.parameters import RunRequest

    store = BatchStore(out)
    plan = store.load()
    if plan is None or plan.submitted:
        raise RunAbortedError(f"no batch files written by --batch-file-only in {store.folder}")
    missing = [str(path) for path in outputs if not path.is_file()]
    if missing:
        raise RunAbortedError(f"no such output file: {missing[0]}")
    request = RunRequest(**plan.request)
    # Nothing is sent: a placeholder passes the key check of providers that need one.
    resolved = resolve_run(request, Secrets(api_key="not-needed-to-ingest"), plan.run_id)
    answers = BatchAnswers(_maps(store, plan), f"offline-{plan.run_id}")
    session = open_session(str(out), resolved.session)
    async with session:
        files = [_lines(path) for path in outputs]
        summary = await ingest_lines(session, answers, files, "offline")
        session.compact()
    store.finish(plan)
    return summary


def _maps(store: "BatchStore", plan: "BatchPlan") -> dict[str, "LineMap"]:
    from extractors.batch.files import read_line_maps

    maps: dict[str, LineMap] = {}
    for record in plan.batches:
        maps.update(read_line_maps(store.map_path(record)))
    return maps


async def _lines(path: Path) -> AsyncIterator[str]:
    """A file's lines, read as they are needed (the file is never held whole)."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield line
