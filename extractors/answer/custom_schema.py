"""A user's JSON Schema as a Pydantic model, so that answers are validated like built-in ones.

The subset covers what extraction schemas use: objects (nested, or by `$ref`), arrays, strings
(`format` date, date-time, time; `enum`), integers, numbers, booleans, and nullable types.
A number with `multipleOf` a power of ten (0.01) is money: an exact Decimal with that many
places, stored as decimal128 in Parquet; other numbers are floats.
"""

import datetime as dt
import math
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model

_FORMATS: dict[str, type] = {"date": dt.date, "date-time": dt.datetime, "time": dt.time}


_PLAIN: dict[str, type] = {"integer": int, "boolean": bool, "string": str}


def model_from_json_schema(schema: dict[str, Any], name: str) -> type[BaseModel]:
    """The model of a JSON Schema whose root is an object; ValueError on what it cannot map."""
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        raise ValueError("a custom JSON Schema's root must be an object with properties")
    return _SchemaReader(schema).model(schema, _class_name(name))


class _SchemaReader:
    """Resolves `$ref`s against the root and names nested models after their path."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.models: dict[str, type[BaseModel]] = {}

    def model(self, schema: dict[str, Any], name: str) -> type[BaseModel]:
        required = set(schema.get("required") or [])
        fields: dict[str, Any] = {}
        for prop, sub in schema["properties"].items():
            annotation = self.annotation(sub, f"{name}{_class_name(prop)}", prop)
            description = sub.get("description") if isinstance(sub, dict) else None
            if prop in required:
                fields[prop] = (annotation, Field(description=description))
            else:
                fields[prop] = (annotation | None, Field(default=None, description=description))
        config = ConfigDict(frozen=True, extra="ignore")
        model: type[BaseModel] = create_model(name, __config__=config, **fields)
        model.__doc__ = schema.get("description") or None
        return model

    def annotation(self, schema: Any, name: str, where: str) -> Any:
        if not isinstance(schema, dict):
            raise ValueError(f"property {where!r}: a schema must be an object")
        if "$ref" in schema:
            return self._reference(schema["$ref"], where)
        options = schema.get("anyOf") or schema.get("oneOf")
        if options is not None:
            return self._union(options, name, where)
        types = schema.get("type")
        if isinstance(types, list):
            concrete = [t for t in types if t != "null"]
            if len(concrete) != 1:
                raise ValueError(f"property {where!r}: cannot map a union of types {types}")
            inner = self.annotation({**schema, "type": concrete[0]}, name, where)
            return inner | None if "null" in types else inner
        return self._typed(schema, str(types), name, where)

    def _typed(self, schema: dict[str, Any], kind: str, name: str, where: str) -> Any:
        if "enum" in schema:
            return Literal[tuple(schema["enum"])]
        if kind == "object" and isinstance(schema.get("properties"), dict):
            return self.model(schema, name)
        if kind == "array":
            return list[self.annotation(schema.get("items", {}), f"{name}Item", f"{where}[]")]  # type: ignore[misc]
        if kind == "string" and schema.get("format") in _FORMATS:
            return _FORMATS[schema["format"]]
        if kind == "number":
            return _number(schema)
        if kind in _PLAIN:
            return _PLAIN[kind]
        raise ValueError(f"property {where!r}: cannot map JSON Schema type {kind!r}")

    def _union(self, options: list[Any], name: str, where: str) -> Any:
        concrete = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
        if len(concrete) != 1:
            raise ValueError(f"property {where!r}: only 'X or null' unions map to a column")
        inner = self.annotation(concrete[0], name, where)
        return inner | None if len(concrete) < len(options) else inner

    def _reference(self, ref: str, where: str) -> Any:
        prefix = next((p for p in ("#/$defs/", "#/definitions/") if ref.startswith(p)), None)
        target = self.root.get(prefix[2:-1], {}).get(ref[len(prefix) :]) if prefix else None
        if not isinstance(target, dict):
            raise ValueError(f"property {where!r}: cannot resolve $ref {ref!r}")
        key = ref.rsplit("/", 1)[-1]
        if key not in self.models:
            self.models[key] = self.annotation(target, _class_name(key), where)
        return self.models[key]


def _number(schema: dict[str, Any]) -> Any:
    """Decimal with as many places as a power-of-ten `multipleOf`; float otherwise."""
    step = schema.get("multipleOf")
    if isinstance(step, (int, float)) and 0 < step <= 1:
        places = -math.log10(step)
        if abs(places - round(places)) < 1e-9:
            return Annotated[
                Decimal,
                Field(max_digits=18, decimal_places=round(places)),
                WithJsonSchema({"type": "number", "multipleOf": step}),
            ]
    return float


def _class_name(text: str) -> str:
    return "".join(part.capitalize() for part in text.replace("-", "_").split("_") if part)
