"""A dry run's figures as one JSON-ready object: the work, the time online, the batch files,
the unreadable files and the subtotals (prices are added by the caller, from the report's
price list)."""

from dataclasses import asdict, dataclass
from typing import Any

from extractors.document.dry_run_batch import JPEG_BYTES_PER_PIXEL, PROVIDER_LIMITS
from extractors.document.dry_run_tally import Counts, WorkTally
from extractors.document.dry_run_time import (
    ASSUMED_LATENCY,
    ENGINE_CPU_SECONDS_PER_PAGE,
    ENGINE_WALL_SECONDS_PER_PAGE,
    TypicalLatency,
    engine_time,
    online_time,
    shown_duration,
)
from extractors.options import BatchFlavour

# What means nothing for the embedded engine (no tokens, no price): left out of its figures.
TOKEN_FIGURES = (
    "image_tokens",
    "text_tokens",
    "prompt_tokens",
    "answer_room",
    "text_layer_image_tokens",
    "text_layer_text_tokens",
    "cropped_whole_image_tokens",
    "cropped_image_tokens",
)

# Blank and repeated pages are told from their drawn images, and a dry run draws none.
FOUND_WHEN_DRAWN = (
    "blank and repeated pages are found only as pages are drawn (a dry run draws none): "
    "`visionbatch report DIR` gives them after a run"
)

# Said instead of figures when pages are drawn whole: zeros would look measured.
CROP_OFF = "off (pass --crop-margins to cut pages to their content box and count what it saves)"


@dataclass(frozen=True)
class PlanSetting:
    """What the figures depend on besides the work: the run's provider, limits and latency."""

    provider: str
    model: str
    schema: str
    local_engine: bool
    concurrency: int
    rpm: int | None = None
    tpm: int | None = None
    # Seconds one request takes (`--dry-run-latency`); None: the assumed typical latency.
    latency: float | None = None
    # The provider's batch flavour, None when it has no batch API (files for vLLM only).
    batch_flavour: BatchFlavour | None = None
    # `--crop-margins`: pages cut to their content box, what that saves counted.
    crop_margins: bool = False


def plan_figures(work: WorkTally, setting: PlanSetting) -> dict[str, Any]:
    """The figures of a planned run, one JSON-ready object."""
    totals = work.totals.as_dict()
    subtotals = work.subtotals()
    if setting.local_engine:
        totals = _without_tokens(totals)
        subtotals = {k: {n: _without_tokens(c) for n, c in v.items()} for k, v in subtotals.items()}
    figures: dict[str, Any] = {
        "provider": setting.provider,
        "model": setting.model,
        "schema": setting.schema,
        **totals,
        "online_time": _engine_time(work) if setting.local_engine else _online(work, setting),
        "batch": None if setting.local_engine else _batch(work, setting),
        "unreadable_files": [asdict(u) for u in work.unreadable],
        "not_sent": not_sent(work, setting.local_engine, setting.crop_margins),
        **subtotals,
    }
    return figures


def not_sent(work: WorkTally, local_engine: bool, crop_margins: bool) -> dict[str, Any]:
    """What the run would not send: pages read from their text layer (their planned image
    tokens, less the text sent in their place), the margins cropped off pages drawn, and a word
    on blank and repeated pages.

    Each `share` is of the prompt tokens the run would send with those pages drawn whole
    instead. Costs are added by the caller, from the report's price list."""
    totals = work.totals
    layer: dict[str, Any] = {"pages": totals.text_layer_pages}
    if not local_engine:
        saved = totals.text_layer_image_tokens - totals.text_layer_text_tokens
        layer |= {
            "image_tokens": totals.text_layer_image_tokens,
            "text_tokens_instead": totals.text_layer_text_tokens,
            "tokens_saved": saved,
            "share": _share(saved, totals.prompt_tokens),
        }
    cropped = _cropped_margins(totals, local_engine) if crop_margins else CROP_OFF
    return {"text_layer": layer, "cropped_margins": cropped, "blank_and_repeated": FOUND_WHEN_DRAWN}


def _cropped_margins(totals: Counts, local_engine: bool) -> dict[str, Any]:
    """Pages drawn cut to their content box: the image tokens they would cost whole, less those
    they cost cut."""
    cropped: dict[str, Any] = {"pages": totals.cropped_pages}
    if not local_engine:
        saved = totals.cropped_whole_image_tokens - totals.cropped_image_tokens
        cropped |= {
            "image_tokens": totals.cropped_whole_image_tokens,
            "tokens_saved": saved,
            "share": _share(saved, totals.prompt_tokens),
        }
    return cropped


def _share(saved: int, prompt_tokens: int) -> float | None:
    before = prompt_tokens + saved
    return round(saved / before, 6) if before > 0 else None


def _without_tokens(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if k not in TOKEN_FIGURES}


def _online(work: WorkTally, setting: PlanSetting) -> dict[str, Any]:
    totals = work.totals
    if setting.latency is not None:
        latency = TypicalLatency(setting.latency, 0.0)
        seconds, source = totals.requests * setting.latency, "given (--dry-run-latency)"
    else:
        latency, source = ASSUMED_LATENCY, "assumed (pass --dry-run-latency)"
        seconds = latency.total(totals.requests, totals.images)
    tokens = totals.prompt_tokens + totals.answer_room
    timed = online_time(
        seconds, totals.requests, tokens, setting.concurrency, setting.rpm, setting.tpm
    )
    return {
        "seconds": round(timed.seconds, 1),
        "shown": shown_duration(timed.seconds),
        "bound_by": timed.bound_by,
        "by_latency": round(timed.by_latency, 1),
        "by_rpm": round(timed.by_rpm, 1),
        "by_tpm": round(timed.by_tpm, 1),
        "concurrency": setting.concurrency,
        "rpm": setting.rpm,
        "tpm": setting.tpm,
        "latency": {"source": source, **asdict(latency)},
    }


def _engine_time(work: WorkTally) -> dict[str, Any]:
    """The embedded engine reads one image at a time on every core: its time is its pages'."""
    cpu, wall = engine_time(work.totals.images)
    return {
        "seconds": round(wall, 1),
        "shown": shown_duration(wall),
        "bound_by": "engine",
        "cpu_seconds": round(cpu, 1),
        "cpu_seconds_per_page": ENGINE_CPU_SECONDS_PER_PAGE,
        "wall_seconds_per_page": ENGINE_WALL_SECONDS_PER_PAGE,
        "pages_read": work.totals.images,
    }


def _batch(work: WorkTally, setting: PlanSetting) -> dict[str, Any] | None:
    plan = work.batch
    if plan is None:
        return None
    limits = PROVIDER_LIMITS[setting.batch_flavour or "openai"]
    return {
        "flavour": setting.batch_flavour,
        # False: the provider has no batch API; the files are for --batch-file-only (vLLM).
        "batch_api": setting.batch_flavour is not None,
        "files": [
            {"name": f"input-{number:04d}", "lines": f.lines, "bytes": f.bytes}
            for number, f in enumerate(plan.files, start=1)
        ],
        "lines": plan.lines,
        "bytes": plan.bytes,
        "max_lines": plan.max_lines,
        "max_bytes": plan.max_bytes,
        "completion_window_hours": limits.window_hours,
        "jpeg_bytes_per_pixel": JPEG_BYTES_PER_PIXEL,  # the estimate's (corpus 90th percentile)
    }
