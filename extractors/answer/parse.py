"""Reading answers: tolerant of fences, bad JSON, shuffled, duplicated or missing items."""

import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from extractors.answer.degenerate import document_refusal

_FENCE = re.compile(r"^```(?:json|JSON)?[ \t]*\n?(.*?)(?:^```|\Z)", re.DOTALL | re.MULTILINE)


_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class ParsedAnswer:
    """The items of an answer that could be matched to an image, and what was wrong."""

    items: dict[int, BaseModel]
    problems: tuple[str, ...]


def parse_answer(content: str | None, n_images: int, item_model: type[BaseModel]) -> ParsedAnswer:
    """Match an answer's items to the request's images (1-based), validating each one."""
    if not content or not content.strip():
        return ParsedAnswer({}, ("empty answer",))
    problems: list[str] = []
    raw_items = _raw_items(_unfence(content), problems)
    candidates: dict[int, list[BaseModel]] = {}
    for raw in raw_items:
        matched = _match_item(raw, n_images, item_model, problems)
        if matched is not None:
            candidates.setdefault(matched[0], []).append(matched[1])
    items: dict[int, BaseModel] = {}
    for image, found in sorted(candidates.items()):
        if all(other == found[0] for other in found[1:]):
            items[image] = found[0]
        else:  # two different answers for one image: trusting either risks a wrong page's text
            problems.append(f"conflicting items for image {image}")
    return ParsedAnswer(items, tuple(problems))


def _unfence(content: str) -> str:
    """The JSON inside a code fence; an answer that starts as JSON is left alone, since its
    strings may hold Markdown fences of their own (a transcribed page showing code)."""
    text = content.strip()
    if text[:1] in "{[":
        return text
    fenced = _FENCE.search(text)
    return fenced.group(1).strip() if fenced else text


def _raw_items(text: str, problems: list[str]) -> list[Any]:
    """The list of page items in the answer, salvaging complete items from broken JSON."""
    start = _json_start(text)
    if start < 0:
        problems.append("answer holds no JSON")
        return []
    try:
        document, _ = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError:
        salvaged = _salvage_items(text)
        problems.append(f"invalid JSON (salvaged {len(salvaged)} complete item(s))")
        return salvaged
    if isinstance(document, dict) and isinstance(document.get("pages"), list):
        return list(document["pages"])
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        return [document]  # a single bare item; matched only if its image is unambiguous
    problems.append("answer is not a JSON object")
    return []


def _json_start(text: str) -> int:
    """Where the first JSON object or array begins (prose before it is skipped); -1 if none."""
    return min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)


def _salvage_items(text: str) -> list[Any]:
    """Complete objects of the `pages` array of a truncated or damaged answer, in order."""
    key = text.find('"pages"')
    position = text.find("[", key if key >= 0 else 0)
    items: list[Any] = []
    if position < 0:
        return items
    position += 1
    while True:
        position = text.find("{", position)
        if position < 0:
            return items
        try:
            item, position = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError:
            return items
        items.append(item)


def _match_item(
    raw: Any, n_images: int, item_model: type[BaseModel], problems: list[str]
) -> tuple[int, BaseModel] | None:
    if not isinstance(raw, dict):
        problems.append("an item is not an object")
        return None
    image = _image_number(raw.get("image"), n_images)
    if image is None:
        problems.append(f"item with image {raw.get('image')!r} outside 1..{n_images}")
        return None
    fields = {key: value for key, value in raw.items() if key != "image"}
    try:
        return image, item_model.model_validate(fields)
    except ValidationError as exc:
        problems.append(f"image {image}: {_validation_summary(exc)}")
        return None


def _image_number(value: Any, n_images: int) -> int | None:
    if value is None:
        return 1 if n_images == 1 else None  # only a lone image makes a missing number safe
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 1 <= value <= n_images:
        return value
    return None


def _validation_summary(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "item"
    return f"invalid item ({where}: {first['msg']}; {exc.error_count()} error(s))"


@dataclass(frozen=True)
class ParsedDocument:
    """A document answer validated against its model, or what was wrong with it."""

    values: BaseModel | None
    problems: str | None
    # An answer with no JSON that refuses the document, in its words ("not a receipt: ...").
    refusal: str | None = None


def parse_document(content: str | None, model: type[BaseModel]) -> ParsedDocument:
    """The one object of a document answer, validated; problems say what to fix on a re-ask."""
    if not content or not content.strip():
        return ParsedDocument(None, "the answer was empty")
    text = _unfence(content)
    start = _json_start(text)
    try:
        if start < 0:
            raise json.JSONDecodeError("no JSON object", text, 0)
        document, _ = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        refused = document_refusal(text) if start < 0 else None
        return ParsedDocument(None, f"the answer is not valid JSON ({exc.msg})", refused)
    if isinstance(document, list) and len(document) == 1:
        document = document[0]  # a lone object wrapped in a list is still unambiguous
    if not isinstance(document, dict):
        return ParsedDocument(None, "the answer is not one JSON object")
    try:
        return ParsedDocument(model.model_validate(document), None)
    except ValidationError as exc:
        return ParsedDocument(None, validation_problems(exc))


def validation_problems(exc: ValidationError, limit: int = 12) -> str:
    """Every validation error as `field: message (got value)`, for the model and for humans."""
    problems = []
    for error in exc.errors()[:limit]:
        where = ".".join(str(part) for part in error["loc"]) or "(root)"
        problems.append(f"{where}: {error['msg']} (got {str(error.get('input'))[:60]!r})")
    more = exc.error_count() - limit
    return "; ".join(problems) + (f"; and {more} more" if more > 0 else "")
