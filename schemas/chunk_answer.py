"""A chunk of a long document answered and validated (`DIR/_chunk_answers/<schema>/`), kept so
that a killed run's rerun asks only for the chunks it never got."""

from datetime import datetime
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from schemas.arrow import model_arrow_fields
from schemas.page_row import RowStatus


class ChunkAnswerRow(BaseModel):
    """One chunk's validated fields, under the resume key of its document."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(description="The input path as it was found.")
    source_sha256: str = Field(description="SHA-256 of the input file's bytes.")
    model: str = Field(description="Model that was asked.")
    schema_version: str = Field(description="Fingerprint of the schema's fields.")
    prompt_version: str = Field(description="Fingerprint of the instructions.")
    options_version: str = Field(description="Fingerprint of the options that shape requests.")
    pages: list[int] = Field(description="The chunk's pages (1-based), as it was planned.")
    status: RowStatus = Field(description="Always ok: only validated answers are kept.")
    values_json: str = Field(description="The chunk's validated fields, as JSON.")
    request_ids: list[str] = Field(description="Ids of the requests that answered.")
    attempts: int = Field(description="HTTP attempts made, retries and re-asks included.")
    prompt_tokens: int | None = Field(description="Prompt tokens of its requests.")
    completion_tokens: int | None = Field(description="Completion tokens of its requests.")
    latency_ms: float = Field(description="Summed wall time of its requests, in ms.")
    run_id: str = Field(description="Id of the run that wrote the row.")
    extracted_at: datetime = Field(description="When the chunk was answered (UTC).")

    def as_record(self) -> dict[str, Any]:
        return self.model_dump()


CHUNK_ANSWER_ARROW_SCHEMA = pa.schema(model_arrow_fields(ChunkAnswerRow))
