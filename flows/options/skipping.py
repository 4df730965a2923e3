"""The options that decide how much of each page is sent: pages answered without a request
(blank, repeated), margins cut off, pixels a page's print does not need."""

from pydantic import BaseModel, ConfigDict, Field


class PageSkipping(BaseModel):
    """Pages, margins and pixels not sent"""

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
    min_glyph_px: int | None = Field(
        default=None,
        ge=6,
        le=64,
        description="Shrink each drawn page while its small print (the 10th percentile of its "
        "glyph heights) keeps this many pixels of height: fewer image tokens for large print. "
        "Pages that are not print (photos, drawings, fewer than 20 glyphs) and pages that would "
        "shrink by less than 10% a side are sent as planned. Off by default; the `width` and "
        "`height` of a row are of the image sent.",
    )
