"""The extraction schemas `--schema` can name."""

from extractors.prompt import ExtractionSchema
from schemas import PageText

SCHEMAS: dict[str, ExtractionSchema] = {
    "page_text": ExtractionSchema("page_text", PageText),
}


def resolve_schema(name: str) -> ExtractionSchema:
    """The schema of that name, or a ValueError listing the known ones."""
    try:
        return SCHEMAS[name]
    except KeyError:
        raise ValueError(f"unknown schema {name!r}; known: {', '.join(SCHEMAS)}") from None
