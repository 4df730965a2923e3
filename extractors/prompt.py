"""The request we send: instructions, labelled images, and the answer shape we ask for."""

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from extractors.records import RenderedImage
from schemas import pages_envelope_schema

StructuredOutput = Literal["json_schema", "prompt"]

_INSTRUCTIONS = """You are a meticulous document transcription engine.
You receive {n} image(s), each preceded by its label "Image k". Each image is one page.
Answer with JSON only: an object {{"pages": [...]}} holding exactly one item per image,
where "image" is the image's label number k, and the other fields follow the schema.
Never mix the content of two images in one item."""

_SCHEMA_IN_PROMPT = """Answer with a single JSON object matching this JSON Schema, and nothing else
(no prose, no code fences):
{schema}"""


@dataclass(frozen=True)
class ExtractionSchema:
    """What to extract from each page: a name, a Pydantic item model and a prompt version."""

    name: str
    item_model: type[BaseModel]
    prompt_version: str = "1"

    @property
    def envelope(self) -> dict[str, Any]:
        return pages_envelope_schema(self.item_model)

    @property
    def fingerprint(self) -> str:
        """Changes whenever the schema or the prompt changes: rows of different ones never mix."""
        material = json.dumps(
            [self.name, self.envelope, self.prompt_version, _INSTRUCTIONS, _SCHEMA_IN_PROMPT],
            sort_keys=True,
        )
        return hashlib.sha256(material.encode()).hexdigest()[:16]


def build_messages(
    schema: ExtractionSchema, images: tuple[RenderedImage, ...], mode: StructuredOutput
) -> list[dict[str, Any]]:
    """One user message: the instructions, then each image behind its label."""
    text = _INSTRUCTIONS.format(n=len(images))
    if mode == "prompt":
        text += "\n\n" + _SCHEMA_IN_PROMPT.format(schema=json.dumps(schema.envelope))
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
    for position, image in enumerate(images, start=1):
        parts.append({"type": "text", "text": f"Image {position}:"})
        parts.append({"type": "image_url", "image_url": {"url": data_url(image)}})
    return [{"role": "user", "content": parts}]


def response_format(schema: ExtractionSchema, strict: bool) -> dict[str, Any]:
    """The `response_format` of the wire contract."""
    spec: dict[str, Any] = {"name": schema.name, "schema": schema.envelope}
    if strict:
        spec["strict"] = True
    return {"type": "json_schema", "json_schema": spec}


def prompt_token_estimate(schema: ExtractionSchema, mode: StructuredOutput) -> int:
    """Tokens of the text parts, rounded up generously (3 characters a token)."""
    text = _INSTRUCTIONS + (
        _SCHEMA_IN_PROMPT + json.dumps(schema.envelope) if mode == "prompt" else ""
    )
    return len(text) // 3 + 64


def data_url(image: RenderedImage) -> str:
    return f"data:{image.mime};base64,{base64.b64encode(image.data).decode('ascii')}"
