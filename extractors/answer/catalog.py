"""The extraction schemas `--schema` can name: built in, a JSON Schema file, or a model."""

import importlib
import json
import re
from pathlib import Path

from pydantic import BaseModel

from extractors.answer.custom_schema import model_from_json_schema
from extractors.endpoint.prompt import ExtractionSchema
from schemas import Invoice, PageText, Receipt, document_arrow_schema

SCHEMAS: dict[str, ExtractionSchema] = {
    s.name: s
    for s in (
        ExtractionSchema("page_text", PageText),
        ExtractionSchema("receipt", Receipt, unit="document"),
        ExtractionSchema("invoice", Invoice, unit="document"),
    )
}


_MODEL_REFERENCE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def resolve_schema(spec: str) -> ExtractionSchema:
    """A built-in name, `path/to/schema.json` or `package.module:Model`; ValueError otherwise.

    Custom schemas describe one document each: a row per input file.
    """
    if spec in SCHEMAS:
        return SCHEMAS[spec]
    if spec.endswith(".json") or Path(spec).is_file():
        return _checked(_from_json_schema_file(Path(spec)))
    if _MODEL_REFERENCE.match(spec):
        return _checked(_from_model_reference(spec))
    raise ValueError(
        f"unknown schema {spec!r}; known: {', '.join(SCHEMAS)}, a JSON Schema file "
        "(path/to/schema.json) or a Pydantic model (package.module:Model)"
    )


def _from_json_schema_file(path: Path) -> ExtractionSchema:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read schema {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"schema {path} is not JSON: {exc}") from None
    name = _dataset_name(str(document.get("title") or path.stem))
    model = model_from_json_schema(document, name)
    return ExtractionSchema(name, model, unit="document", version=str(document.get("$id", "1")))


def _from_model_reference(spec: str) -> ExtractionSchema:
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import {module_name!r} for --schema {spec}: {exc}") from None
    model = getattr(module, attribute, None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ValueError(f"--schema {spec}: {attribute!r} is not a Pydantic model class")
    return ExtractionSchema(_dataset_name(model.__name__), model, unit="document")


def _checked(schema: ExtractionSchema) -> ExtractionSchema:
    """A custom schema whose fields all map to Parquet columns; ValueError says which not."""
    if schema.name in {*SCHEMAS, "pages"}:
        raise ValueError(f"custom schema name {schema.name!r} is taken by a built-in one")
    try:
        document_arrow_schema(schema.model)
    except TypeError as exc:
        raise ValueError(f"schema {schema.name}: {exc}") from None
    return schema


def _dataset_name(title: str) -> str:
    """A folder name for DIR/<name>/: snake_case letters, digits and underscores."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", title.strip())
    name = re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")
    return name or "custom"
