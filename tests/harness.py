"""Running the pipeline's stages directly, without Prefect, for fast tests."""

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from extractors.discover.files import discover
from extractors.document.session import ExtractionSession, open_session
from extractors.document.shard import ShardSummary
from extractors.offline.engine import serve_local_engine
from extractors.progress import ProgressListener
from flows.options.config import ResolvedRun, RunRequest, Secrets, resolve_run


async def run_direct(
    inputs: list[Path] | list[str],
    out: Path | str,
    secrets: Secrets | None = None,
    flush_rows: int = 256,
    rate_window: float = 60.0,
    progress: ProgressListener | None = None,
    **request: Any,
) -> tuple[ShardSummary, ExtractionSession]:
    """What the flow does, as one shard and with no Prefect: resolve, extract, compact.

    Requests are packed full unless a test says otherwise: tests of limits, refusals and
    re-asks count images per request; `--packing adaptive` has tests of its own
    (tests/document/test_paced_requests.py), and the CLI's tests run with it.
    """
    request.setdefault("packing", "full")
    run_request = RunRequest(inputs=[str(p) for p in inputs], out=str(out), **request)
    resolved = resolve_run(run_request, secrets or Secrets())
    if resolved.uses_local_engine:  # as the flow does: the embedded engine, started for it
        with serve_local_engine() as base_url:
            at = resolved.at(base_url)
            return await _extract(at, inputs, out, flush_rows, rate_window, progress)
    return await _extract(resolved, inputs, out, flush_rows, rate_window, progress)


async def _extract(
    resolved: ResolvedRun,
    inputs: list[Path] | list[str],
    out: Path | str,
    flush_rows: int,
    rate_window: float,
    progress: ProgressListener | None,
) -> tuple[ShardSummary, ExtractionSession]:
    # Tests wait milliseconds, not seconds, between retries.
    endpoint = replace(resolved.endpoint, backoff_base=0.01, backoff_cap=0.05)
    options = replace(
        resolved.session,
        endpoint=endpoint,
        rates=replace(resolved.session.rates, window_seconds=rate_window),
        flush_rows=flush_rows,
    )
    session = open_session(out, options, progress)
    async with session:
        found = list(discover(inputs, (out, session.dataset_dir)))
        summary = await session.extract_shard(found, "00000")
        session.compact()
    return summary, session


def run(
    inputs: list[Path] | list[str], out: Path | str, **request: Any
) -> tuple[ShardSummary, ExtractionSession]:
    return asyncio.run(run_direct(inputs, out, **request))
