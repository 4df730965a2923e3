"""The options that send pages a run would otherwise answer without a request, or margins it
would otherwise leave out."""

from pydantic import BaseModel, ConfigDict, Field


class PageSkipping(BaseModel):
    """Pages and margins not sent"""

    # A misspelt parameter (in prefect.yaml, say) is an error, never silently ignored.
    model_config = ConfigDict(frozen=True, extra="forbid")

    keep_blank: bool = Field(
        default=False,
        description="Send blank pages too (no ink but scanner noise, a punched hole or a page "
        "number); else each gets an ok row with no text, warned `blank page`, and no request.",
    )
    keep_duplicates: bool = Field(
        default=False,
        description="Send a page whose image is identical to one answered ok in this run, an "
        "earlier run on DIR or another line of the same batch plan; else that row is copied, "
        "warned with the page it copies.",
    )
    crop_margins: bool = Field(
        default=False,
        description="Crop each page to its content box (its ink plus a 2% border) before it is "
        "sized, when that leaves out at least 10% of the page: more pixels on the text. The "
        "row's `crop` says which part of the page was sent.",
    )
