"""A run's options, each declared once, in groups: the CLI's flags and the flow's parameters.

Each field carries its help text and validation; the CLI builds its flags from these fields
(`flows/cli_options.py`), Prefect shows them as the flow's parameters, and `flows/config.py`
turns them into the stages' frozen options. Secrets are never among them: parameters show in
Prefect's UI and database.
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from extractors.options import DiscoveryOptions


def _flag(name: str) -> dict[str, Any]:
    """The command-line flag of a field whose name is not its flag."""
    return {"flag": name}


class _Group(BaseModel):
    # A misspelt parameter (in prefect.yaml, say) is an error, never silently ignored.
    model_config = ConfigDict(frozen=True, extra="forbid")


class InputSelection(_Group):
    """Input selection"""

    inputs: list[str] = Field(description="Files or folders (recursed); paths or fsspec URLs.")
    out: str = Field(description="Output directory or URL (pages in OUT/pages/).")
    include: list[str] = Field(
        default=[],
        description="Only files whose path under the folder matches this glob (repeatable; "
        "`*` crosses folders: '*.pdf').",
    )
    exclude: list[str] = Field(
        default=[], description="Leave out files matching this glob (repeatable)."
    )
    since: datetime | None = Field(
        default=None, description="Only files modified at or after this date (local time)."
    )
    limit: int | None = Field(default=None, ge=1, description="At most N files.")


class EndpointChoice(_Group):
    """Endpoint"""

    provider: str | None = Field(
        default=None, description="Provider preset (env VISIONBATCH_PROVIDER)."
    )
    base_url: str | None = Field(
        default=None, description="OpenAI-compatible base URL (env VISIONBATCH_BASE_URL)."
    )
    model: str | None = Field(default=None, description="Model (env VISIONBATCH_MODEL).")
    timeout: float | None = Field(default=None, gt=0, description="Seconds per request.")


class ExtractionChoice(_Group):
    """Extraction"""

    schema_name: str = Field(
        default="page_text",
        description="page_text (per page), receipt, invoice (per document), a JSON Schema file "
        "(path/to/schema.json) or a Pydantic model (package.module:Model).",
        json_schema_extra=_flag("--schema"),
    )
    prompt_file: str | None = Field(
        default=None,
        description="Text file of instructions added to the schema's (recorded per row).",
        json_schema_extra=_flag("--prompt"),
    )
    temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    top_p: float | None = Field(default=None, gt=0.0, le=1.0, description="Nucleus sampling.")
    seed: int | None = Field(default=None, description="Sampling seed, where supported.")
    token_profile: str | None = Field(
        default=None,
        description="pixtral, qwen2.5-vl, gemma3, llava-1.5, openai (default: by model).",
    )
    max_dpi: int = Field(default=200, ge=10, description="Resolution cap for PDFs.")


class RequestLimits(_Group):
    """Limits"""

    concurrency: int | None = Field(
        default=None, ge=1, description="Requests in flight (default: the provider's)."
    )
    requests_per_minute: int | None = Field(
        default=None,
        ge=1,
        description="Most requests per minute (every attempt).",
        json_schema_extra=_flag("--rpm"),
    )
    tokens_per_minute: int | None = Field(
        default=None,
        ge=1,
        description="Most tokens per minute (prompt + answer).",
        json_schema_extra=_flag("--tpm"),
    )
    max_images: int | None = Field(
        default=None, ge=1, description="Images per request (default: provider limit)."
    )
    context_tokens: int | None = Field(
        default=None, ge=1, description="Model context (default: model's)."
    )
    max_output_tokens: int | None = Field(default=None, ge=1, description="Answer tokens.")


class ScaleOut(_Group):
    """Scale-out"""

    shard_size: int = Field(default=64, ge=1, description="Documents per Prefect task.")
    render_workers: int | None = Field(
        default=None,
        ge=0,
        description="Processes rendering pages (default: cores; 0: a thread).",
    )
    dask: str | None = Field(
        default=None,
        description="Run shards on Dask: `local` (a LocalCluster) or a scheduler address "
        "(tcp://host:8786).",
    )
    dask_workers: int | None = Field(
        default=None, ge=1, description="Workers of `--dask local` (default: cores)."
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
        default=60.0, gt=0, description="Seconds between two looks at a running batch."
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
    )
    dry_run: bool = Field(
        default=False,
        description="Send nothing: print files, pages, requests, images, estimated tokens and "
        "the estimated cost online and in batch.",
    )
    json_output: bool = Field(
        default=False,
        description="Print the figures (of --dry-run) as one JSON object on stdout.",
        json_schema_extra=_flag("--json"),
    )


# The groups of a run, in the order the help shows them.
RUN_GROUPS: tuple[type[BaseModel], ...] = (
    InputSelection,
    EndpointChoice,
    ExtractionChoice,
    RequestLimits,
    ScaleOut,
    BatchChoice,
)


class RunRequest(
    InputSelection, EndpointChoice, ExtractionChoice, RequestLimits, ScaleOut, BatchChoice
):
    """The flow's parameters: what to run, never a secret (they show in Prefect's UI)."""

    @property
    def discovery(self) -> DiscoveryOptions:
        return DiscoveryOptions(tuple(self.include), tuple(self.exclude), self.since, self.limit)
