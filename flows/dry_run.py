"""`visionbatch run ... --dry-run`: what the run would send and what it would cost, online and
through a batch API, with no request sent."""

import asyncio
import json
from dataclasses import asdict, replace
from typing import Any

import typer

from extractors.discover.files import discover
from extractors.discover.storage import normalise_location
from extractors.document.dry_run import PlannedWork, plan_dry_run
from extractors.document.session import open_session
from extractors.errors import RunAbortedError
from extractors.report.pricing import DEFAULT_PRICES, Price
from flows.config import ResolvedRun, Secrets, resolve_run
from flows.parameters import RunRequest
from flows.terminal_text import say, say_error


def dry_run_or_exit(request: RunRequest, secrets: Secrets, as_json: bool = False) -> dict[str, Any]:
    """The figures of a dry run, printed (one JSON object on stdout with `--json`)."""
    # It sends nothing, so it needs no key: a placeholder passes the key check, never sent.
    secrets = replace(secrets, api_key=secrets.api_key or "not-needed-for-a-dry-run")
    try:
        resolved = resolve_run(request, secrets)
        if resolved.extraction.schema.unit != "page":
            raise RunAbortedError("--dry-run plans per-page schemas (page_text and yours) for now")
        work = asyncio.run(_planned(request, resolved))
    except RunAbortedError as exc:
        say_error(exc)
        raise typer.Exit(1) from None
    figures = dry_run_figures(work, resolved)
    if as_json:
        typer.echo(json.dumps(figures))
    else:
        for name, value in figures.items():
            say(f"{name.replace('_', ' ')}: {_shown(value)}")
    return figures


def dry_run_figures(work: PlannedWork, resolved: ResolvedRun) -> dict[str, Any]:
    """The work, and its estimated cost online and in batch (answers as long as their room:
    an upper bound); null where no price is known."""
    provider, model = resolved.provider, resolved.rows.model
    online = DEFAULT_PRICES.price_of(provider, model)
    batch = DEFAULT_PRICES.batch_price_of(provider, model)
    priced = online or batch
    return {
        "provider": provider,
        "model": model,
        **asdict(work),
        "estimated_cost_online": _cost(online, work),
        "estimated_cost_batch": _cost(batch, work),
        "currency": priced.currency if priced is not None else None,
    }


async def _planned(request: RunRequest, resolved: ResolvedRun) -> PlannedWork:
    inputs = [normalise_location(location) for location in request.inputs]
    out = normalise_location(request.out)
    session = open_session(out, resolved.session)
    async with session:
        return await plan_dry_run(session, discover(inputs, exclude=out, options=request.discovery))


def _cost(price: Price | None, work: PlannedWork) -> float | None:
    if price is None:
        return None
    return round(price.cost(work.prompt_tokens, work.answer_room), 6)


def _shown(value: Any) -> str:
    if value is None:
        return "unknown"
    return f"{value:,}" if isinstance(value, int) else str(value)
