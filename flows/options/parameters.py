"""A run's options, each declared once, in groups: the CLI's flags and the flow's parameters.

Each field carries its help text and validation: the CLI builds its flags from them
(`commands/cli_options.py`), Prefect shows them as the flow's parameters, `options/config.py`
turns them into the stages' frozen options. Never a secret: they show in Prefect's UI and DB.
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from extractors.discover.page_ranges import PageSelection
from extractors.options import DiscoveryOptions, PackingMode, TextLayerMode
from flows.options.parameter_help import (
    by_provider,
    cores,
    default_help,
    example_default,
    flag,
    value_help,
)
from flows.options.skipping import PageSkipping


class _Group(BaseModel):
    # A misspelt parameter (in prefect.yaml, say) is an error, never silently ignored.
    model_config = ConfigDict(frozen=True, extra="forbid")


class InputSelection(_Group):
    """Input selection"""

    inputs: list[str] = Field(description="Files or folders (recursed); paths or fsspec URLs.")
    include: list[str] = Field(
        default=[],
        description="Only files whose path under the folder matches this glob (repeatable; "
        "`*` crosses folders: '*.pdf').",
        json_schema_extra=value_help("GLOB", "every file"),
    )
    exclude: list[str] = Field(
        default=[],
        description="Leave out files matching this glob (repeatable).",
        json_schema_extra=value_help("GLOB", "none"),
    )
    since: datetime | None = Field(
        default=None,
        description="Only files modified at or after this date (local time).",
        json_schema_extra=value_help("DATE", "any date"),
    )
    limit: int | None = Field(
        default=None, ge=1, description="At most N files.", json_schema_extra=default_help("all")
    )
    pages: PageSelection = Field(
        default=None,
        description="Only these pages of each file: 1-5,10,-3 (-3: the last 3); no row for others.",
        json_schema_extra=value_help("RANGES", "every page"),
    )


class OutputChoice(_Group):
    """Output"""

    out: str = Field(
        description="Output directory or URL (pages in OUT/pages/).",
        json_schema_extra=value_help("DIR"),
    )


class EndpointChoice(_Group):
    """Endpoint"""

    provider: str | None = Field(
        default=None,
        description="Provider preset (env VISIONBATCH_PROVIDER; `visionbatch providers`).",
        json_schema_extra=value_help(
            "NAME", "openai-compatible with --base-url, else local (the embedded OCR engine)"
        ),
    )
    base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible base URL (env VISIONBATCH_BASE_URL).",
        json_schema_extra=value_help("URL", "the provider's"),
    )
    model: str | None = Field(
        default=None,
        description="Model (env VISIONBATCH_MODEL).",
        json_schema_extra=value_help("NAME", example_default("default_model")),
    )
    timeout: float | None = Field(
        default=None,
        gt=0,
        description="Seconds per attempt, all of it: connect, send and the whole answer.",
        json_schema_extra=value_help("SECONDS", by_provider("timeout", " s")),
    )


class ExtractionChoice(_Group):
    """Extraction"""

    schema_name: str = Field(
        default="page_text",
        description="page_text (per page), receipt, invoice (per document), a JSON Schema file "
        "(path/to/schema.json) or a Pydantic model (package.module:Model).",
        json_schema_extra=flag("--schema", "NAME|FILE|MODULE:MODEL"),
    )
    prompt_file: str | None = Field(
        default=None,
        description="Text file of instructions added to the schema's (recorded per row).",
        json_schema_extra={**flag("--prompt", "FILE"), **default_help("none")},
    )
    temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    top_p: float | None = Field(
        default=None,
        gt=0.0,
        le=1.0,
        description="Nucleus sampling.",
        json_schema_extra=default_help("the endpoint's"),
    )
    seed: int | None = Field(
        default=None,
        description="Sampling seed, where supported.",
        json_schema_extra=default_help("none"),
    )
    token_profile: str | None = Field(
        default=None,
        description="How pages are sized into image tokens: pixtral, qwen2.5-vl, gemma3, "
        "llava-1.5, openai.",
        json_schema_extra=value_help("NAME", "by model, else the provider's"),
    )
    max_dpi: int = Field(default=200, ge=10, description="Resolution cap for PDFs.")
    text_layer: TextLayerMode = Field(
        default=TextLayerMode.AUTO,
        description="A PDF page's own text: auto (page_text: a usable layer is the text, no "
        "request; schemas: sent beside the image), hint (beside the image, page_text too), "
        "off (never: force OCR), only (schemas: born-digital pages as text, no image).",
        json_schema_extra=value_help("auto|hint|off|only"),
    )


class RequestLimits(_Group):
    """Limits"""

    concurrency: int | None = Field(
        default=None,
        ge=1,
        description="Requests in flight (at most; lowered while the endpoint answers 429).",
        json_schema_extra=default_help(by_provider("concurrency")),
    )
    requests_per_minute: int | None = Field(
        default=None,
        ge=1,
        description="Most requests per minute (every attempt).",
        json_schema_extra={**flag("--rpm"), **default_help("no limit")},
    )
    tokens_per_minute: int | None = Field(
        default=None,
        ge=1,
        description="Most tokens per minute (prompt + answer).",
        json_schema_extra={**flag("--tpm"), **default_help("no limit")},
    )
    max_images: int | None = Field(
        default=None,
        ge=1,
        description="Images per request.",
        json_schema_extra=default_help(by_provider("max_images")),
    )
    packing: PackingMode = Field(
        default=PackingMode.ADAPTIVE,
        description="Pages per page_text request: adaptive (fewer while drawing pages is "
        "slower than the endpoint answers, so no request slot idles) or full (as many as "
        "--max-images and the context allow: fewest requests and prompt tokens).",
        json_schema_extra=value_help("adaptive|full"),
    )
    context_tokens: int | None = Field(
        default=None,
        ge=1,
        description="Model context, in tokens.",
        json_schema_extra=default_help(by_provider("context_tokens")),
    )
    max_output_tokens: int | None = Field(
        default=None,
        ge=1,
        description="Answer tokens.",
        json_schema_extra=default_help(
            example_default("max_output_tokens") + ", less where the context is small"
        ),
    )
    max_retry_wait: float = Field(
        default=120.0,
        gt=0,
        description="Longest wait, in seconds, honoured when the endpoint asks to retry later.",
    )
    max_answer_mb: float = Field(
        default=16.0,
        gt=0,
        description="Largest answer, in MB once decompressed; a larger one is an answer error.",
    )


class ScaleOut(_Group):
    """Scale-out"""

    shard_size: int = Field(default=64, ge=1, description="Documents per Prefect task.")
    render_workers: int | None = Field(
        default=None,
        ge=1,
        description="Processes rendering pages.",
        json_schema_extra=default_help(f"the cores: {cores()}"),
    )
    render_timeout: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a page may take to draw; past it, its renderer is stopped and "
        "the page is an error row.",
    )
    dask: str | None = Field(
        default=None,
        description="Run shards on Dask: `local` (a LocalCluster) or a scheduler address "
        "(tcp://host:8786).",
        json_schema_extra=value_help("local|ADDRESS", "no Dask: shards run in this process"),
    )
    dask_workers: int | None = Field(
        default=None,
        ge=1,
        description="Workers of `--dask local`.",
        json_schema_extra=default_help(f"the cores: {cores()}"),
    )
    dask_slice_pages: int = Field(
        default=200, ge=1, description="Pages per slice of a longer file, spread over Dask workers."
    )


class BatchChoice(_Group):
    """Batch API"""

    batch: bool = Field(
        default=False,
        description="Send the requests through the provider's batch API (about half the price, "
        "answers within 24 h); the batches are recorded in OUT/batches/ and resumed.",
    )
    no_wait: bool = Field(
        default=False,
        description="With --batch: submit (or look at the recorded batches), print their state "
        "and exit; the same command later collects them.",
    )
    batch_poll_interval: float = Field(
        default=60.0,
        gt=0,
        description="Seconds between two looks at a running batch.",
        json_schema_extra=value_help("SECONDS"),
    )
    batch_file_only: bool = Field(
        default=False,
        description="Write the batch JSONL and its page map to OUT/batches/ without submitting "
        "(for `vllm run-batch`; then `visionbatch ingest OUT OUTPUT.jsonl`).",
    )
    batch_bucket: str | None = Field(
        default=None,
        description="Scaleway: the Object Storage prefix the input files go to "
        "(s3://bucket/prefix).",
        json_schema_extra=value_help("URL", "none"),
    )
    dry_run: bool = Field(
        default=False,
        description="Send nothing, draw no page: print files (unreadable ones and why), pages, "
        "requests, tokens, the cost online and in batch, the time online and the batch files, "
        "in all, per folder and per format (all of it as one JSON object with --json).",
    )
    dry_run_latency: float | None = Field(
        default=None,
        gt=0,
        description="With --dry-run: seconds one request takes (a trial run's median "
        "latency_ms), to plan the time online.",
        json_schema_extra=value_help("SECONDS", "an assumed 2 s + 8 s a page"),
    )


class RunRequest(
    InputSelection,
    OutputChoice,
    EndpointChoice,
    ExtractionChoice,
    PageSkipping,
    RequestLimits,
    ScaleOut,
    BatchChoice,
):
    """The flow's parameters: what to run, never a secret (they show in Prefect's UI)."""

    @property
    def discovery(self) -> DiscoveryOptions:
        return DiscoveryOptions(tuple(self.include), tuple(self.exclude), self.since, self.limit)


# The groups of a run, in the order the help shows them: the request's, listed once.
RUN_GROUPS: tuple[type[BaseModel], ...] = tuple(
    group for group in RunRequest.__bases__ if issubclass(group, BaseModel)
)
