"""`visionbatch ingest DIR OUTPUT.jsonl...`: the output of `vllm run-batch` over the files that
`--batch-file-only` wrote, into DIR's dataset, as a batch's output is ingested.

What it is given is checked first: a file that answers none of the plan's requests is
refused, whole, before anything is read or archived; the plan is archived only once every one
of its lines is in the dataset (`--list` shows what it still waits for)."""

import asyncio
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from extractors.errors import RunAbortedError

# The stages load when the command runs, not with the command line.
if TYPE_CHECKING:
    from extractors.batch.lines import LineMap
    from extractors.batch.state import BatchPlan, BatchRecord, BatchStore
    from extractors.document.batch_session import IngestOutcome


def ingest(
    out: Annotated[Path, typer.Argument(help="The run's output directory (OUT/batches/).")],
    outputs: Annotated[
        list[Path] | None, typer.Argument(help="Output JSONL files of vllm run-batch.")
    ] = None,
    list_waiting: Annotated[
        bool,
        typer.Option("--list", help="List the plan's batch files and the lines still waiting."),
    ] = False,
) -> None:
    """Ingest `vllm run-batch` output for the batch files `run --batch-file-only` wrote."""
    from extractors.endpoint.redaction import KeyRedactor
    from flows.options.settings import EnvironmentSettings

    key = EnvironmentSettings().secrets().api_key
    redact = KeyRedactor(key)
    try:
        if list_waiting or not outputs:
            for line in waiting_lines(out):
                typer.echo(line)
            return
        outcome = asyncio.run(ingest_outputs(out, outputs, key))
    except RunAbortedError as exc:
        typer.echo(redact(f"visionbatch: error: {exc}"), err=True)
        raise typer.Exit(1) from None
    for tally in outcome.tallies:
        for line in tally.lines():
            typer.echo(redact(f"visionbatch: {line}"), err=True)
    typer.echo(_summary(outcome))


def waiting_lines(out: Path) -> list[str]:
    """The plan's files, each with its lines and how many still wait for an answer."""
    store, plan = _file_only_plan(out)
    answered = store.answered(plan)
    said = []
    total = waiting = 0
    for record in plan.batches:
        ids = _maps(store, [record])
        left = sorted(set(ids) - answered)
        total, waiting = total + len(ids), waiting + len(left)
        first = f" (first: {left[0]})" if left else ""
        said.append(
            f"  {store.input_path(record)}: {len(ids):,} lines, {len(left):,} waiting{first}"
        )
    head = f"plan {plan.run_id}: {len(plan.batches)} file(s), {total:,} lines, {waiting:,} waiting"
    return [head, *said]


async def ingest_outputs(out: Path, outputs: list[Path], api_key: str = "") -> "IngestOutcome":
    """Every line of `outputs` into rows; pages no line answered become error rows."""
    from extractors.batch.output_lines import file_lines, holds_any
    from extractors.document.batch_session import BatchAnswers, ingest_lines
    from extractors.document.session import open_session
    from flows.options.config import Secrets, resolve_run
    from flows.options.parameters import RunRequest

    store, plan = _file_only_plan(out)
    missing = [str(path) for path in outputs if not path.is_file()]
    if missing:
        raise RunAbortedError(f"no such output file: {missing[0]}")
    maps = _maps(store, plan.batches)
    request = RunRequest(**plan.request)
    # Nothing is sent: without a key, a placeholder passes the check of providers needing one.
    resolved = resolve_run(request, Secrets(api_key=api_key or "not-needed"), plan.run_id)
    cap = resolved.endpoint.max_answer_bytes
    for path in outputs:
        if not await holds_any(file_lines(path, cap), maps):
            raise RunAbortedError(
                f"{path} answers none of the {len(maps):,} requests of batch plan "
                f"{plan.run_id} ({store.run_folder(plan.run_id)}): nothing ingested, plan kept"
            )
    before = frozenset(store.answered(plan))
    answers = BatchAnswers(maps, f"offline-{plan.run_id}", answered_before=before)
    session = open_session(str(out), resolved.session)
    async with session:
        files = [(str(path), file_lines(path, cap)) for path in outputs]
        # Each ingest its own part files: an earlier ingest's rows are never overwritten.
        name = f"offline-{uuid.uuid4().hex[:8]}"
        outcome = await ingest_lines(session, answers, files, name)
        session.compact()
    store.add_answered(plan, sorted(outcome.accounted - before))
    if not outcome.waiting:
        store.finish(plan)
    return outcome


def _summary(outcome: "IngestOutcome") -> str:
    from extractors.batch.tally import totals

    summary = outcome.summary
    said = f"ingested: {summary.pages_ok} pages ok, {summary.pages_error} errors"
    skipped = totals(outcome.tallies)
    if skipped:
        said += "; lines " + ", ".join(f"{kind} {count:,}" for kind, count in skipped.items())
    if outcome.waiting:
        return said + (
            f"; {len(outcome.waiting):,} line(s) still waiting: plan kept "
            "(visionbatch ingest DIR --list)"
        )
    return said + "; every line of the plan is in: plan archived"


def _file_only_plan(out: Path) -> tuple["BatchStore", "BatchPlan"]:
    from extractors.batch.state import BatchStore

    store = BatchStore(out)
    plan = store.load()
    if plan is None or plan.submitted:
        raise RunAbortedError(f"no batch files written by --batch-file-only in {store.folder}")
    return store, plan


def _maps(store: "BatchStore", records: list["BatchRecord"]) -> dict[str, "LineMap"]:
    from extractors.batch.files import read_line_maps

    maps: dict[str, LineMap] = {}
    for record in records:
        maps.update(read_line_maps(store.map_path(record)))
    return maps
