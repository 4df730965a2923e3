"""How far a row can be trusted: its confidence, and where its fields were read."""

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

CONFIDENCE_HELP = (
    "How far to trust the row (0-1): what read the page (the text layer's verdict, the "
    "embedded engine's line scores, the model's token probabilities) times a factor for each "
    "of its `warnings`, which say why it is low; null on error."
)

WARNINGS_HELP = (
    "What is doubtful about an ok row, one reason each (`hidden text left out: ...`, "
    "`repetition loop`, `total: not found on the page`...); empty when nothing is."
)


class Citation(BaseModel):
    """Where on its page a field's value was read."""

    model_config = ConfigDict(frozen=True)

    field: str = Field(description="The field's path (`total`, `line_items[2].amount`).")
    value: str = Field(description="The value as it was looked up.")
    page: int = Field(description="1-based page the value was found on.")
    x0: float = Field(description="Left of the box, as a share of the page's width (0-1).")
    y0: float = Field(description="Top of the box, as a share of the page's height (0-1).")
    x1: float = Field(description="Right of the box, as a share of the page's width (0-1).")
    y1: float = Field(description="Bottom of the box, as a share of the page's height (0-1).")
    found_in: str = Field(
        description="text_layer (the PDF's own words) or ocr (the embedded engine's lines)."
    )


CITATIONS_HELP = (
    "Where each field's value was read on its page: field, value, page and box (shares of the "
    "page's width and height, 0-1), and whether in the text layer or the OCR lines; a field "
    "whose value was not found has none, and a warning says so."
)

CITATION_ARROW_TYPE: pa.DataType = pa.list_(
    pa.struct(
        [
            pa.field("field", pa.string()),
            pa.field("value", pa.string()),
            pa.field("page", pa.int32()),
            pa.field("x0", pa.float32()),
            pa.field("y0", pa.float32()),
            pa.field("x1", pa.float32()),
            pa.field("y1", pa.float32()),
            pa.field("found_in", pa.string()),
        ]
    )
)
