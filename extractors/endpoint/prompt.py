"""The request we send: instructions, labelled images, and the answer shape we ask for."""

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel

from extractors.options import StructuredOutput
from extractors.records import PreparedRequest, RenderedImage
from schemas import pages_envelope_schema

Unit = Literal["page", "document"]


_PAGE_INSTRUCTIONS = """You are a meticulous document transcription engine.
You receive {n} image(s), each preceded by its label "Image k". Each image is one page.
Answer with JSON only: an object {{"pages": [...]}} holding exactly one item per image,
where "image" is the image's label number k, and the other fields follow the schema.
Never mix the content of two images in one item."""


_DOCUMENT_INSTRUCTIONS = """You are a meticulous document data extraction engine.
You receive {n} image(s): {which}, in page order, each preceded by its label "Image k".
Extract the fields of the schema from what is printed on these pages. Write values as printed
(no translation); use null for anything not shown; never guess.
Answer with JSON only: one object of the schema's fields."""


_PART_OF_DOCUMENT = """These pages are only part of the document: give the fields shown on them,
null for the others, and only the line items printed on these pages."""


_SCHEMA_IN_PROMPT = """Answer with a single JSON object matching this JSON Schema, and nothing else
(no prose, no code fences):
{schema}"""


_REASK = """Your answer above does not match the schema: {problems}
Answer again with the corrected JSON object only."""


LAYER_TEXT_LABEL = "Text layer of image"
PAGE_TEXT_LABEL = "Text of page"
_TEXT_PAGES_NOTE = """Pages given as "Text of page p" come as the PDF's own text of that page,
with no image: read their fields from that text."""
_LAYER_NOTE = """Some images are followed by "Text layer of image k": the text embedded in that page
of the PDF. Copy names, numbers and dates from it where it agrees with the image."""


# An answer is echoed back on a re-ask; a runaway one need not be sent back whole.
_ECHO_LIMIT = 20_000


@dataclass(frozen=True)
class ExtractionSchema:
    """What to extract: a Pydantic model, per page or per document, and its version."""

    name: str
    model: type[BaseModel]
    unit: Unit = "page"
    version: str = "1"

    @cached_property
    def wire_schema(self) -> dict[str, Any]:
        """The JSON Schema an answer must match; built once, not for every request."""
        if self.unit == "page":
            return pages_envelope_schema(self.model)
        return self.model.model_json_schema()

    @property
    def fingerprint(self) -> str:
        """Changes whenever the fields change: rows of different schemas never mix."""
        material = json.dumps([self.name, self.unit, self.version, self.wire_schema])
        return _digest(material)


@dataclass(frozen=True)
class Prompt:
    """The schema plus the user's own instructions (`--prompt FILE`), if any."""

    schema: ExtractionSchema
    user_instructions: str | None = None

    @property
    def version(self) -> str:
        """Fingerprint of every instruction text that can reach the model."""
        texts = [
            _PAGE_INSTRUCTIONS if self.schema.unit == "page" else _DOCUMENT_INSTRUCTIONS,
            _PART_OF_DOCUMENT,
            _SCHEMA_IN_PROMPT,
            _REASK,
            self.schema.model.__doc__ or "",
            self.user_instructions or "",
        ]
        return _digest(json.dumps(texts))

    def token_estimate(self, mode: StructuredOutput) -> int:
        """Tokens of the text parts, rounded up generously (3 characters a token)."""
        text = _DOCUMENT_INSTRUCTIONS + _PART_OF_DOCUMENT + (self.user_instructions or "")
        text += self.schema.model.__doc__ or ""
        if mode == "prompt":
            text += _SCHEMA_IN_PROMPT + json.dumps(self.schema.wire_schema)
        return len(text) // 3 + 64

    def messages(self, request: PreparedRequest, mode: StructuredOutput) -> list[dict[str, Any]]:
        """The user message (instructions, then each image behind its label), and a re-ask."""
        parts: list[dict[str, Any]] = [{"type": "text", "text": self._instructions(request, mode)}]
        texts = request.layer_texts or ("",) * len(request.images)
        for position, (image, layer_text) in enumerate(zip(request.images, texts, strict=True), 1):
            parts.append({"type": "text", "text": f"Image {position}:"})
            parts.append({"type": "image_url", "image_url": {"url": data_url(image)}})
            if layer_text:
                # Names and numbers are copied from the PDF's own text, not read off pixels.
                parts.append(
                    {"type": "text", "text": f"{LAYER_TEXT_LABEL} {position}: {layer_text}"}
                )
        for page, text in request.text_pages:
            parts.append({"type": "text", "text": f"{PAGE_TEXT_LABEL} {page}: {text}"})
        messages: list[dict[str, Any]] = [{"role": "user", "content": parts}]
        if request.reask is not None:
            messages.append({"role": "assistant", "content": request.reask.answer[:_ECHO_LIMIT]})
            messages.append(
                {"role": "user", "content": _REASK.format(problems=request.reask.problems)}
            )
        return messages

    def _instructions(self, request: PreparedRequest, mode: StructuredOutput) -> str:
        n = len(request.images)
        if self.schema.unit == "page":
            text = _PAGE_INSTRUCTIONS.format(n=n)
        else:
            text = _DOCUMENT_INSTRUCTIONS.format(n=n, which=_which_pages(request))
            if len(request.chunk.pages) < request.document_pages:
                text += "\n" + _PART_OF_DOCUMENT
        if request.layer_texts:
            text += "\n" + _LAYER_NOTE
        if request.text_pages:
            text += "\n" + _TEXT_PAGES_NOTE
        extra = [self.schema.model.__doc__, self.user_instructions]
        text += "".join(f"\n\n{part.strip()}" for part in extra if part and part.strip())
        if mode == "prompt":
            text += "\n\n" + _SCHEMA_IN_PROMPT.format(schema=json.dumps(self.schema.wire_schema))
        return text


def layer_text_tokens(texts: tuple[str, ...]) -> int:
    """What the text-layer parts add to a request's prompt (with their labels)."""
    return sum(text_tokens(text) + 8 for text in texts if text)


def text_tokens(text: str) -> int:
    """Tokens of a text, rounded up: about 3 ASCII characters a token, and a token for every
    other character (CJK, Thai and Cyrillic take one or more tokens a character in the
    tokenisers of the models we target, so 3 characters a token would undercount them)."""
    other = len(text) - len(text.encode("ascii", "ignore"))  # counted in C: layers run to MBs
    return (len(text) - other) // 3 + other + 1


def response_format(schema: ExtractionSchema, strict: bool) -> dict[str, Any]:
    """The `response_format` of the wire contract."""
    wire = schema.wire_schema
    spec: dict[str, Any] = {"name": schema.name, "schema": strict_schema(wire) if strict else wire}
    if strict:
        spec["strict"] = True
    return {"type": "json_schema", "json_schema": spec}


def strict_schema(schema: Any) -> Any:
    """A JSON Schema as strict structured outputs require it (OpenAI): every object closed,
    every property required (optional ones stay nullable), no defaults."""
    if not isinstance(schema, dict):
        return schema
    strict: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "default":
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            strict[key] = {name: strict_schema(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            strict[key] = [strict_schema(sub) for sub in value]
        elif key in _SCHEMA_VALUES:
            strict[key] = strict_schema(value)
        else:
            strict[key] = value
    if strict.get("type") == "object" and isinstance(strict.get("properties"), dict):
        strict["additionalProperties"] = False
        strict["required"] = list(strict["properties"])
    return strict


_SCHEMA_MAPS = frozenset({"properties", "$defs", "definitions", "patternProperties"})


_SCHEMA_LISTS = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})


_SCHEMA_VALUES = frozenset({"items", "not", "additionalProperties", "contains"})


def data_url(image: RenderedImage) -> str:
    return f"data:{image.mime};base64,{base64.b64encode(image.data).decode('ascii')}"


def _which_pages(request: PreparedRequest) -> str:
    pages = [p.page for p in request.chunk.pages]
    total = request.document_pages
    if total <= 1:
        return "the page of one document"
    listed = ", ".join(str(p) for p in pages)
    return f"page(s) {listed} of a {total}-page document"


def _digest(material: str) -> str:
    return hashlib.sha256(material.encode()).hexdigest()[:16]
