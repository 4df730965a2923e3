"""A batch's status as the provider reports it, read into OpenAI's words whatever the flavour."""

from dataclasses import dataclass
from typing import Any

from extractors.options import BatchFlavour

# Mistral's job statuses in OpenAI's words.
_MISTRAL_STATUS = {
    "QUEUED": "validating",
    "RUNNING": "in_progress",
    "SUCCESS": "completed",
    "FAILED": "failed",
    "TIMEOUT_EXCEEDED": "expired",
    "CANCELLATION_REQUESTED": "cancelling",
    "CANCELLED": "cancelled",
}


@dataclass(frozen=True)
class BatchStatus:
    """What the provider says of one batch, in OpenAI's words whatever the flavour."""

    batch_id: str
    status: str
    total: int
    completed: int
    failed: int
    output_file_id: str | None
    error_file_id: str | None
    created_at: float | None
    finished_at: float | None


def status_of(answer: dict[str, Any], flavour: BatchFlavour) -> BatchStatus:
    """The answer of a create or status call, in OpenAI's words whatever the flavour."""
    if flavour == "mistral":
        return BatchStatus(
            str(answer["id"]),
            _MISTRAL_STATUS.get(str(answer.get("status")), str(answer.get("status"))),
            int(answer.get("total_requests") or 0),
            int(answer.get("succeeded_requests") or 0),
            int(answer.get("failed_requests") or 0),
            answer.get("output_file"),
            answer.get("error_file"),
            answer.get("created_at"),
            answer.get("completed_at"),
        )
    counts = answer.get("request_counts") or {}
    finished = next(
        (
            answer[k]
            for k in ("completed_at", "expired_at", "failed_at", "cancelled_at")
            if answer.get(k)
        ),
        None,
    )
    return BatchStatus(
        str(answer["id"]),
        str(answer.get("status")),
        int(counts.get("total") or 0),
        int(counts.get("completed") or 0),
        int(counts.get("failed") or 0),
        answer.get("output_file_id"),
        answer.get("error_file_id"),
        answer.get("created_at"),
        finished,
    )
