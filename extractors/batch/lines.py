"""One request as a batch line, and the page map that says which pages the line carries."""

import json
from dataclasses import asdict, dataclass
from typing import Any

from extractors.options import BatchFlavour
from extractors.records import PreparedRequest, SourceFile

CHAT_COMPLETIONS = "/v1/chat/completions"


@dataclass(frozen=True)
class MappedPage:
    """A page of a line, with the size it was sent at and what that cost by the profile."""

    page: int
    width: int
    height: int
    image_tokens: int


@dataclass(frozen=True)
class LineMap:
    """What one line carries: a document's pages, in the order of the images sent."""

    custom_id: str
    source: SourceFile
    page_count: int
    pages: tuple[MappedPage, ...]

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode() + b"\n"

    @classmethod
    def from_json(cls, raw: bytes | str) -> "LineMap":
        data = json.loads(raw)
        return cls(
            data["custom_id"],
            SourceFile(**data["source"]),
            int(data["page_count"]),
            tuple(MappedPage(**page) for page in data["pages"]),
        )


def line_map(request: PreparedRequest, page_count: int) -> LineMap:
    """The page map of a request: its images' pages and sizes (the planned token cost)."""
    tokens = {planned.page: planned.image_tokens for planned in request.chunk.pages}
    pages = tuple(
        MappedPage(image.page, image.width, image.height, tokens.get(image.page, 0))
        for image in request.images
    )
    source = SourceFile(request.source.path, request.source.sha256, request.source.format)
    return LineMap(request.request_id, source, page_count, pages)


def batch_line(custom_id: str, body: dict[str, Any], flavour: BatchFlavour) -> bytes:
    """A JSONL line: OpenAI's format (also Scaleway's and vLLM's), or Mistral's (no method,
    no url)."""
    line: dict[str, Any] = {"custom_id": custom_id}
    if flavour != "mistral":
        line |= {"method": "POST", "url": CHAT_COMPLETIONS}
    line["body"] = body
    return json.dumps(line, separators=(",", ":")).encode() + b"\n"
