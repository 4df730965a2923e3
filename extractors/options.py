"""Every frozen option object the stages receive, each option declared once."""

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any, Literal

StructuredOutput = Literal["json_schema", "prompt"]


class PackingMode(StrEnum):
    """How many pages a `page_text` request carries (`--packing`)."""

    # Fewer while drawing pages is slower than the endpoint answers, so no request slot idles.
    ADAPTIVE = "adaptive"
    FULL = "full"  # as many as the image count and the context allow: fewest requests


@dataclass(frozen=True)
class BudgetOptions:
    """Limits of one request: images, context, and the room kept for prompt text and answer."""

    max_images: int = 12
    context_tokens: int = 128_000
    max_output_tokens: int = 16_384
    prompt_tokens: int = 600
    # Answer room each page needs: caps images per request when max_output_tokens is small,
    # so that answers are not cut off mid-page.
    output_tokens_per_image: int = 1_024
    packing: PackingMode = PackingMode.ADAPTIVE

    @property
    def image_budget(self) -> int:
        """Tokens left for images in one request."""
        return self.context_tokens - self.prompt_tokens - self.max_output_tokens

    @property
    def images_per_request(self) -> int:
        """Most images one request may carry."""
        by_output = self.max_output_tokens // max(1, self.output_tokens_per_image)
        return max(1, min(self.max_images, by_output))


class TextLayerMode(StrEnum):
    """What a PDF page's own text layer is used for (`--text-layer`)."""

    AUTO = "auto"  # page_text: a usable layer is the text, no request; schemas: sent with images
    HINT = "hint"  # sent beside the image, for page_text too: the model reads, the layer helps
    OFF = "off"  # never read: every page is drawn and read as an image (force OCR)
    ONLY = "only"  # as auto, and schemas get a born-digital page's text without its image


@dataclass(frozen=True)
class RenderOptions:
    """How pages become images (resolution cap, pixel limit, encoding), and what is read from
    a PDF page's text layer while its layout is read."""

    max_dpi: int = 200
    max_source_pixels: int = 150_000_000
    jpeg_quality: int = 85
    text_layer: TextLayerMode = TextLayerMode.AUTO
    # Seconds one call (a page drawn, a layout read) may run before its worker is killed. It
    # changes no image, so it is not part of `options_version`.
    render_timeout: float = 60.0
    # A dry run: each PDF page's layer judged (verdict, text, figures) without the words and
    # Markdown only a row needs, the hidden-text trace only where text may be hidden. The
    # verdicts are the run's (tests/load/test_quick_verdict.py); not part of `options_version`.
    layer_verdict_only: bool = False
    # `--crop-margins`: each page cut to its content box (ink plus a small border) before it
    # is sized, so the model's pixels go to the text. Part of `options_version` when on.
    crop_margins: bool = False
    # `--min-glyph-px`: each drawn page shrunk while its small print keeps this many pixels of
    # height (extractors/load/glyph_size.py); None: sent at its planned size. Part of
    # `options_version` when set.
    min_glyph_px: int | None = None


@dataclass(frozen=True)
class RasterOptions:
    """How pages are drawn, and on how many worker processes."""

    render: RenderOptions = field(default_factory=RenderOptions)
    password: str | None = field(default=None, repr=False)
    # 0 draws on one thread of this process: only where processes cannot be started (a
    # daemonic Dask worker), since no render deadline can stop a thread.
    workers: int = 0


@dataclass(frozen=True)
class Sampling:
    """Sampling settings sent with every request; unset ones are left to the endpoint."""

    temperature: float = 0.0  # extraction wants the most likely reading, not variety
    top_p: float | None = None
    seed: int | None = None

    def as_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"temperature": self.temperature}
        if self.top_p is not None:
            kwargs["top_p"] = self.top_p
        if self.seed is not None:
            kwargs["seed"] = self.seed
        return kwargs


@dataclass(frozen=True)
class EndpointOptions:
    """Where to send requests and how patiently."""

    base_url: str
    model: str
    api_key: str = field(default="", repr=False)
    # Bounds a whole attempt (connect, send, the full answer), not each read: an endpoint
    # trickling a byte a second would otherwise hold a request for minutes.
    timeout: float = 120.0
    # A backfill outlives short outages: 8 attempts with backoff capped at 60 s span ~2 min.
    max_attempts: int = 8
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    # The longest wait honoured when the endpoint asks for one (Retry-After: 86400 exists).
    max_retry_wait: float = 120.0
    # Decoded answer bytes past which an attempt fails (a gzip bomb inflates 1 MB to 1 GiB).
    max_answer_bytes: int = 16_000_000
    structured_output: StructuredOutput = "json_schema"
    strict_schema: bool = False
    sampling: Sampling = field(default_factory=Sampling)
    max_output_tokens: int = 16_384
    output_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    # Ask for the answer's token log-probabilities (`logprobs`): only where the provider is
    # known to return them (its preset), since some endpoints refuse fields they do not know.
    logprobs: bool = False
    # Whether the endpoint takes a `seed`: a page asked again after a degenerate answer is
    # sent with another one (and a higher temperature).
    takes_seed: bool = False
    # Extra headers sent with every request, (name, value) pairs: a gateway's key or settings.
    # Those named like credentials are blanked from logs and rows, as the key is.
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class RateLimits:
    """`--rpm` and `--tpm`: requests and tokens per minute, every attempt counted."""

    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    # "Per minute", and a second: a request stamped as written reaches the provider's count a
    # moment later, and later still from a busy host, so a place freed exactly 60 s after its
    # stamp could let a fifth request of `--rpm 4` into a minute the provider counts (seen at
    # the test server with two Dask workers under load). The slack costs 1.6% of the rate.
    # Shorter windows only test the limits quickly.
    window_seconds: float = 61.0


@dataclass(frozen=True)
class DiscoveryOptions:
    """Which files a run takes.

    Globs match the path relative to the folder given (`*` also crosses `/`, so `*.pdf` takes
    PDFs at any depth; `2024/*` takes everything under 2024/); a file given by name is
    matched by its name. `modified_since` compares file modification times.
    """

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    modified_since: datetime | None = None
    limit: int | None = None

    def takes(self, relative: str) -> bool:
        """Whether the include and exclude globs let this relative path through."""
        if self.include and not any(fnmatchcase(relative, glob) for glob in self.include):
            return False
        return not any(fnmatchcase(relative, glob) for glob in self.exclude)


def options_version(token_profile: str, render: RenderOptions) -> str:
    """Fingerprint of the options that shape what is sent: rows of other settings never mix.

    A change of DPI cap, token profile (how pages are sized) or encoding changes the images,
    so resume asks for those pages again instead of keeping answers to other images.
    """
    material = "|".join(
        (
            token_profile,
            str(render.max_dpi),
            str(render.max_source_pixels),
            f"jpeg{render.jpeg_quality}",
            f"text-{render.text_layer}",
            # Only when on, so that rows made before the option existed still match.
            *(("crop-margins",) if render.crop_margins else ()),
            *((f"glyph{render.min_glyph_px}",) if render.min_glyph_px else ()),
        )
    )
    return hashlib.sha256(material.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class InFlight:
    """`--concurrency` and the sizes that follow from it, derived in this one place."""

    requests: int

    @property
    def payload_slots(self) -> int:
        """Chunks rendered or on the wire at once: rendering runs `requests` chunks ahead, so
        a request slot that frees finds its next chunk drawn, and memory stays bounded."""
        return self.requests + max(2, self.requests)

    @property
    def open_documents(self) -> int:
        """Documents open at once: enough that one-page documents still fill every slot."""
        return 2 * self.requests + 2

    def shard_window(self, shard_size: int) -> int:
        """Shards in progress at once.

        Two shards in their last documents must still leave a full shard's worth of documents
        open beside them (measured: with two shards of 64 at --concurrency 16, the endpoint
        went a quarter second without a request whenever both ran dry together).
        """
        return max(2, 2 + math.ceil(self.open_documents / shard_size))


BatchFlavour = Literal["openai", "mistral", "scaleway"]

# OpenAI's limits of one batch input file (Scaleway's and vLLM's take the same format).
BATCH_MAX_LINES = 50_000
BATCH_MAX_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class BatchOptions:
    """`--batch` and its companions: how requests go through a provider's batch API."""

    flavour: BatchFlavour = "openai"
    poll_interval: float = 60.0
    # False (`--no-wait`): submit or look once, then return; a later run collects.
    wait: bool = True
    # False (`--batch-file-only`): write the JSONL and its page map, submit nothing.
    submit: bool = True
    # Scaleway: where the input files go (`s3://bucket/prefix`).
    bucket: str | None = None
    max_lines: int = BATCH_MAX_LINES
    max_bytes: int = BATCH_MAX_BYTES
