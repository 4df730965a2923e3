"""The run's summary, and its estimated cost at list prices."""

import time
from datetime import UTC, datetime, timedelta

from extractors.document.session import ExtractionSession
from extractors.document.shard import ShardSummary
from extractors.endpoint.gate import LimitsReport
from extractors.endpoint.pool import RequestStats
from extractors.report.pricing import DEFAULT_PRICES
from flows.options.config import ResolvedRun
from flows.options.parameters import RunRequest
from schemas import RunSummary


def estimated_cost(provider: str, model: str, stats: RequestStats) -> str:
    """This run's tokens at the default list price (`visionbatch report --prices` for yours)."""
    price = DEFAULT_PRICES.price_of(provider, model)
    if price is None:
        return "unknown (no price for this provider and model)"
    if price.self_hosted:
        return "self-hosted (no per-token price)"
    if not stats.usage_reported:
        return "unknown (the endpoint reported no token usage)"
    cost = price.cost(stats.prompt_tokens, stats.completion_tokens)
    return f"{cost:.4f} {price.currency}"


def summarise(
    resolved: ResolvedRun,
    request: RunRequest,
    session: ExtractionSession,
    totals: ShardSummary,
    limits: LimitsReport,
    started: float,
) -> RunSummary:
    stats = totals.requests
    concurrency = limits.concurrency
    now = time.monotonic()
    first_sent = stats.first_sent_at
    return RunSummary(
        run_id=resolved.rows.run_id,
        out=request.out,
        provider=resolved.provider,
        model=resolved.rows.model,
        schema_name=resolved.rows.schema_name,
        unit=resolved.extraction.schema.unit,
        dataset=str(session.dataset_dir),
        documents=totals.documents,
        pages_ok=totals.pages_ok,
        pages_error=totals.pages_error,
        pages_skipped=totals.pages_skipped,
        requests=stats.requests,
        retries=stats.retries,
        failed_requests=stats.failed_requests,
        max_in_flight=stats.max_in_flight,
        throttled=stats.throttled,
        concurrency_start=concurrency.start,
        concurrency_lowest=concurrency.lowest,
        concurrency_end=concurrency.end,
        rate_limit_wait_seconds=round(limits.rate_wait_seconds, 2),
        endpoint_lessons=list(session.learned.lessons),
        prompt_tokens=stats.prompt_tokens if stats.usage_reported else None,
        completion_tokens=stats.completion_tokens if stats.usage_reported else None,
        estimated_cost=estimated_cost(resolved.provider, resolved.rows.model, stats),
        rows_compacted=session.compacted,
        started_at=datetime.now(UTC) - timedelta(seconds=now - started),
        first_request_seconds=None if first_sent is None else round(first_sent - started, 3),
        wall_seconds=round(now - started, 2),
    )
