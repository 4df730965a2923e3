"""The options that send pages a run would otherwise answer without a request."""

from pydantic import BaseModel, ConfigDict, Field


class PageSkipping(BaseModel):
    """Pages not sent"""

    # A misspelt parameter (in prefect.yaml, say) is an error, never silently ignored.
    model_config = ConfigDict(frozen=True, extra="forbid")

    keep_blank: bool = Field(
        default=False,
        description="Send blank pages too (no ink but scanner noise, a punched hole or a page "
        "number); else each gets an ok row with no text, warned `blank page`, and no request.",
    )
    keep_duplicates: bool = Field(
        default=False,
        description="Send a page whose image is identical to one answered ok in this run; "
        "else that row is copied, warned with the page it copies.",
    )
