"""The default page schema and the wire envelope every answer comes in."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PageText(BaseModel):
    """One page's transcription: the default `page_text` schema."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    text: str = Field(
        description=(
            "A faithful transcription of everything legible on the page, in reading order, "
            "as Markdown: headings as #, tables as Markdown tables, lists as lists. "
            "Do not summarise, translate or correct; write [illegible] where text cannot be read."
        )
    )


def pages_envelope_schema(item_model: type[BaseModel]) -> dict[str, Any]:
    """JSON Schema of an answer: `{"pages": [{"image": n, ...fields of item_model}]}`.

    `image` is the 1-based position of the image in the request, so answers can be matched
    to pages whatever order, duplicates or gaps the model produces.
    """
    item = item_model.model_json_schema()
    defs = item.pop("$defs", None)
    properties = {
        "image": {
            "type": "integer",
            "minimum": 1,
            "description": "1-based position of the image in the request this item describes.",
        },
        **item.get("properties", {}),
    }
    item_schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": ["image", *item.get("required", [])],
        "additionalProperties": False,
    }
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "pages": {
                "type": "array",
                "description": "One item per image, in the order the images were given.",
                "items": item_schema,
            }
        },
        "required": ["pages"],
        "additionalProperties": False,
    }
    if defs:
        schema["$defs"] = defs
    return schema
