"""What a run reports when it ends (CLI table, Prefect artifact)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class RunSummary(BaseModel):
    """Counts and costs of one run."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    out: str
    provider: str
    model: str
    schema_name: str = Field(default="page_text", description="Extraction schema.")
    unit: str = Field(
        default="page", description="What a row is: a page, or a document for document schemas."
    )
    dataset: str = Field(
        default="", description="The Parquet dataset written: DIR/pages or DIR/<schema>."
    )
    documents: int = Field(description="Input files seen.")
    pages_ok: int = Field(description="Rows (pages, or documents) extracted or copied in this run.")
    pages_error: int = Field(description="Rows that ended as errors in this run.")
    pages_skipped: int = Field(description="Rows already ok in DIR: no request sent.")
    requests: int = Field(description="HTTP requests made, retries excluded.")
    retries: int = Field(description="Extra attempts after transient failures.")
    failed_requests: int = Field(description="Requests that ended without an answer.")
    max_in_flight: int = Field(description="Most requests in flight at once.")
    throttled: int = Field(default=0, description="429 answers (each waited out and retried).")
    concurrency_start: int = Field(default=0, description="In-flight limit at the start.")
    concurrency_lowest: int = Field(
        default=0, description="Lowest in-flight limit after sustained 429s."
    )
    concurrency_end: int = Field(default=0, description="In-flight limit at the end.")
    rate_limit_wait_seconds: float = Field(
        default=0.0, description="Time attempts waited for room under --rpm / --tpm."
    )
    endpoint_lessons: list[str] = Field(
        default_factory=list, description="Limits learned from the endpoint's refusals."
    )
    prompt_tokens: int | None = Field(
        description="Prompt tokens the endpoint reported; None when it reports none (the "
        "embedded engine counts no tokens)."
    )
    completion_tokens: int | None = Field(description="Completion tokens the endpoint reported.")
    estimated_cost: str = Field(
        default="", description="This run's tokens at list price, `self-hosted`, or `unknown`."
    )
    rows_compacted: int = Field(description="Superseded rows removed at the end of the run.")
    started_at: datetime | None = Field(default=None, description="When the flow started (UTC).")
    first_request_seconds: float | None = Field(
        default=None, description="Seconds from the flow's start to its first request leaving."
    )
    wall_seconds: float = Field(description="The flow's wall time.")
    command_seconds: float | None = Field(
        default=None, description="The whole command's wall time, Prefect's start-up included."
    )

    def to_json(self) -> str:
        """One line of JSON, for scripts (`visionbatch run --json`)."""
        return self.model_dump_json()
