"""One request as a batch line, and the page map that says which pages the line carries (and
which pages, not sent, take the answer of one of them: `PageCopy`)."""

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
class PageCopy:
    """A page not written into any line: its image is byte for byte that of a page a line of
    the plan carries (`copy_of`, page `of_page` of that line's source), whose answer it takes."""

    copy_of: str
    of_page: int
    source: SourceFile
    page_count: int
    page: MappedPage

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode() + b"\n"

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "PageCopy":
        return cls(
            str(data["copy_of"]),
            int(data["of_page"]),
            SourceFile(**data["source"]),
            int(data["page_count"]),
            MappedPage(**data["page"]),
        )


@dataclass(frozen=True)
class LineMap:
    """What one line carries: a document's pages, in the order of the images sent, and the
    pages elsewhere in the plan that are copies of them (their rows come from this line's)."""

    custom_id: str
    source: SourceFile
    page_count: int
    pages: tuple[MappedPage, ...]
    copies: tuple[PageCopy, ...] = ()

    def to_json(self) -> bytes:
        """The line's own record; its copies are records of their own, written as found."""
        line = asdict(self)
        del line["copies"]
        return json.dumps(line, separators=(",", ":")).encode() + b"\n"

    @classmethod
    def from_json(cls, raw: bytes | str) -> "LineMap":
        return cls.from_data(json.loads(raw))

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "LineMap":
        return cls(
            data["custom_id"],
            SourceFile(**data["source"]),
            int(data["page_count"]),
            tuple(MappedPage(**page) for page in data["pages"]),
        )


def map_record(raw: bytes | str) -> LineMap | PageCopy:
    """One record of a page map file: a line's map, or a page copying one of a line's."""
    data = json.loads(raw)
    return PageCopy.from_data(data) if "copy_of" in data else LineMap.from_data(data)


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
