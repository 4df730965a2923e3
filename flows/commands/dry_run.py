"""`visionbatch run ... --dry-run`: what the run would send, what it would cost online and
through a batch API, how long it would take online and which batch files it would write, with
no page drawn and no request sent."""

import asyncio
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import typer

from extractors.discover.files import discover
from extractors.discover.storage import normalise_location
from extractors.document.dry_run import dry_run_session, plan_dry_run
from extractors.document.dry_run_batch import LineSizer, batch_file_plan
from extractors.document.dry_run_figures import PlanSetting, plan_figures
from extractors.document.dry_run_shown import shown_lines
from extractors.document.dry_run_tally import WorkTally
from extractors.document.session import open_session
from extractors.endpoint.providers import get_preset
from extractors.errors import RunAbortedError
from extractors.report.pricing import DEFAULT_PRICES, Price
from flows.options.config import ResolvedRun, Secrets, resolve_run
from flows.options.parameters import RunRequest
from flows.terminal.text import say, say_error


def dry_run_or_exit(request: RunRequest, secrets: Secrets, as_json: bool = False) -> dict[str, Any]:
    """The figures of a dry run, printed (one JSON object on stdout with `--json`)."""
    # It sends nothing, so it needs no key: a placeholder passes the key check, never sent.
    secrets = replace(secrets, api_key=secrets.api_key or "not-needed-for-a-dry-run")
    try:
        resolved = resolve_run(request, secrets)
        with _library_messages_to_stderr():
            work = asyncio.run(_planned(request, resolved))
    except RunAbortedError as exc:
        say_error(exc)
        raise typer.Exit(1) from None
    figures = dry_run_figures(work, request, resolved)
    if as_json:
        typer.echo(json.dumps(figures))
    else:
        for line in shown_lines(figures):
            say(line)
    return figures


@contextmanager
def _library_messages_to_stderr() -> Iterator[None]:
    """Whatever MuPDF prints (`MuPDF error: ...`, on stdout, from the render workers this
    starts, which inherit the descriptor) goes to stderr: stdout keeps only the figures."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


async def _planned(request: RunRequest, resolved: ResolvedRun) -> WorkTally:
    inputs = [normalise_location(location) for location in request.inputs]
    out = normalise_location(request.out)
    session = open_session(out, dry_run_session(resolved.session))
    async with session:
        work = WorkTally(resolved.extraction.budget.prompt_tokens)
        if not resolved.uses_local_engine:
            from flows.orchestration.batch_phase import batch_options

            options = batch_options(request, resolved)
            work.sizer = LineSizer(session.client.request_body, options.flavour)
            work.batch = batch_file_plan(options)
        found = discover(inputs, exclude=out, options=request.discovery)
        return await plan_dry_run(session, found, work)


def dry_run_figures(work: WorkTally, request: RunRequest, resolved: ResolvedRun) -> dict[str, Any]:
    """The work, its time and batch files, and its estimated cost online and in batch (answers
    as long as their room: an upper bound); null where no price is known. The embedded engine
    has no tokens and no price: its figures are pages and CPU time."""
    session = resolved.session
    setting = PlanSetting(
        provider=resolved.provider,
        model=resolved.rows.model,
        schema=resolved.rows.schema_name,
        local_engine=resolved.uses_local_engine,
        concurrency=session.in_flight.requests,
        rpm=session.rates.requests_per_minute,
        tpm=session.rates.tokens_per_minute,
        latency=request.dry_run_latency,
        batch_flavour=get_preset(resolved.provider).batch,
        crop_margins=resolved.extraction.render.crop_margins,
    )
    figures = plan_figures(work, setting)
    if not resolved.uses_local_engine:
        figures.update(_costs(work, resolved))
        _saving_costs(figures, resolved)
    return figures


def _costs(work: WorkTally, resolved: ResolvedRun) -> dict[str, Any]:
    provider, model = resolved.provider, resolved.rows.model
    online = DEFAULT_PRICES.price_of(provider, model)
    batch = DEFAULT_PRICES.batch_price_of(provider, model)
    priced = online or batch
    return {
        "estimated_cost_online": _cost(online, work),
        "estimated_cost_batch": _cost(batch, work),
        "currency": priced.currency if priced is not None else None,
    }


def _saving_costs(figures: dict[str, Any], resolved: ResolvedRun) -> None:
    """What the tokens of pages read from their text layer, and of margins cropped off pages
    drawn, would have cost, at the input price (the answers those pages still have are not
    saved)."""
    not_sent = figures["not_sent"]
    for saving in (not_sent["text_layer"], not_sent["cropped_margins"]):
        if isinstance(saving, dict):  # not the word that --crop-margins is off
            saving |= _input_costs(saving["tokens_saved"], resolved)


def _input_costs(tokens: int, resolved: ResolvedRun) -> dict[str, float | None]:
    provider, model = resolved.provider, resolved.rows.model
    prices = {
        "cost_online": DEFAULT_PRICES.price_of(provider, model),
        "cost_batch": DEFAULT_PRICES.batch_price_of(provider, model),
    }
    return {k: None if p is None else round(p.cost(tokens, 0), 6) for k, p in prices.items()}


def _cost(price: Price | None, work: WorkTally) -> float | None:
    if price is None:
        return None
    return round(price.cost(work.totals.prompt_tokens, work.totals.answer_room), 6)
