"""The batch files a dry run's requests would fill, split as `BatchFileWriter` splits them, each
line's size estimated from the request body the run would build, with no page drawn."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from extractors.batch.lines import batch_line
from extractors.options import BatchFlavour, BatchOptions
from extractors.records import PreparedRequest

_MB = 1024 * 1024


@dataclass(frozen=True)
class ProviderBatchLimits:
    """What one provider documents of a batch input file."""

    lines: int
    bytes: int
    window_hours: int
    source: str


# ../shared/docs/batch-apis.md; Mistral's from docs.mistral.ai "Known limitations" (512 MB,
# 100,000 requests; its batch guide says up to 1M requests: the smaller is kept). Scaleway
# states none: its files copy OpenAI's format, and OpenAI's limits are kept (unsure).
PROVIDER_LIMITS: dict[BatchFlavour, ProviderBatchLimits] = {
    "openai": ProviderBatchLimits(50_000, 200 * _MB, 24, "OpenAI batch guide"),
    "mistral": ProviderBatchLimits(100_000, 512 * _MB, 24, "Mistral known limitations"),
    "scaleway": ProviderBatchLimits(50_000, 200 * _MB, 24, "OpenAI's (Scaleway states none)"),
}

# JPEG bytes per pixel of the pages a run sends (quality 85), measured by
# `benchmarks/dry_run.py` over the corpus PDFs and SROIE receipts drawn at Pixtral's sizes:
# born-digital text pages take 0.02-0.09, scans, forms and CJK pages 0.12-0.25. The 90th
# percentile (0.206 over 44 pages; mean 0.095) is used, so that files are rarely fuller than
# planned.
JPEG_BYTES_PER_PIXEL = 0.21
_JPEG_HEADER_BYTES = 700


def jpeg_bytes(width: int, height: int) -> int:
    """The expected size of a page's JPEG at this size."""
    return _JPEG_HEADER_BYTES + round(JPEG_BYTES_PER_PIXEL * width * height)


def base64_bytes(size: int) -> int:
    return 4 * ((size + 2) // 3)


@dataclass
class PlannedBatchFile:
    """One input file of the plan: its lines and bytes."""

    lines: int = 0
    bytes: int = 0


@dataclass
class BatchFilePlan:
    """Lines packed into files the way the run's writer packs them: a new file before one
    would pass the line or byte limit (one model per run, so never for a model change)."""

    max_lines: int
    max_bytes: int
    files: list[PlannedBatchFile] = field(default_factory=list)

    def add(self, size: int) -> None:
        current = self.files[-1] if self.files else None
        fits = current is not None and current.lines < self.max_lines
        if current is None or not fits or current.bytes + size > self.max_bytes:
            current = PlannedBatchFile()
            self.files.append(current)
        current.lines += 1
        current.bytes += size

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)


def batch_file_plan(options: BatchOptions) -> BatchFilePlan:
    """The plan under the writer's limits, and within the provider's where they are smaller."""
    documented = PROVIDER_LIMITS[options.flavour]
    lines = min(options.max_lines, documented.lines)
    return BatchFilePlan(lines, min(options.max_bytes, documented.bytes))


@dataclass(frozen=True)
class LineSizer:
    """A request's batch line size: its body as the run builds it (from a stand-in request
    whose images hold no bytes), plus each image's expected base64."""

    body_of: Callable[[PreparedRequest], dict[str, Any]]
    flavour: BatchFlavour

    def size(self, request: PreparedRequest) -> int:
        line = batch_line(request.request_id, self.body_of(request), self.flavour)
        images = (base64_bytes(jpeg_bytes(i.width, i.height)) for i in request.images)
        return len(line) + sum(images)
