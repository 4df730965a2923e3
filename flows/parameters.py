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
    timeout: float | None = Field(
        default=None,
        gt=0,
        description="Seconds per attempt, all of it: connect, send and the whole answer.",
    )


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


# The groups of a run, in the order the help shows them.
RUN_GROUPS: tuple[type[BaseModel], ...] = (
    InputSelection,
    EndpointChoice,
    ExtractionChoice,
    RequestLimits,
    ScaleOut,
)


class RunRequest(InputSelection, EndpointChoice, ExtractionChoice, RequestLimits, ScaleOut):
    """The flow's parameters: what to run, never a secret (they show in Prefect's UI)."""

    @property
    def discovery(self) -> DiscoveryOptions:
        return DiscoveryOptions(tuple(self.include), tuple(self.exclude), self.since, self.limit)
