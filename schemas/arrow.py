"""Parquet columns derived from a Pydantic model: a date is date32, money is decimal128.

Every field becomes a nullable Arrow field carrying its description as metadata, so the
model's field descriptions document the Parquet columns too.
"""

import datetime as dt
import enum
import types
import typing
from decimal import Decimal
from typing import Any

import pyarrow as pa
from pydantic import BaseModel
from pydantic.fields import FieldInfo

# Decimal without declared digits: wide enough for any amount, scale for minor units and rates.
DEFAULT_DECIMAL = (38, 9)

_SCALARS: dict[type, pa.DataType] = {
    str: pa.string(),
    bool: pa.bool_(),
    int: pa.int64(),
    float: pa.float64(),
    dt.date: pa.date32(),
    dt.time: pa.time64("us"),
}


def model_arrow_fields(model: type[BaseModel]) -> list[pa.Field]:
    """One Arrow field per model field, in declaration order."""
    return [_field(name, info.annotation, info) for name, info in model.model_fields.items()]


def _field(name: str, annotation: Any, info: FieldInfo | None) -> pa.Field:
    description = (info.description if info else None) or ""
    metadata = {"description": description} if description else None
    return pa.field(name, arrow_type(annotation, name), nullable=True, metadata=metadata)


def arrow_type(annotation: Any, where: str = "field") -> pa.DataType:
    """The Arrow type of a field annotation; TypeError names the field when none fits."""
    annotation, constraints = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        if len(args) != 1:
            raise TypeError(f"{where}: only homogeneous lists map to Parquet, not {annotation}")
        return pa.list_(arrow_type(args[0], f"{where}[]"))
    if origin is typing.Literal:
        return pa.string()
    if isinstance(annotation, type):
        return _class_type(annotation, constraints, where)
    raise TypeError(f"{where}: no Parquet type for {annotation!r}")


def _class_type(cls: type, constraints: dict[str, Any], where: str) -> pa.DataType:
    if issubclass(cls, BaseModel):
        return pa.struct(
            [_field(name, info.annotation, info) for name, info in cls.model_fields.items()]
        )
    if issubclass(cls, enum.Enum):
        return pa.string()
    if issubclass(cls, Decimal):
        precision = constraints.get("max_digits") or DEFAULT_DECIMAL[0]
        scale = constraints.get("decimal_places")
        return pa.decimal128(precision, DEFAULT_DECIMAL[1] if scale is None else scale)
    if issubclass(cls, dt.datetime):  # before date: a datetime is a date
        return pa.timestamp("us", tz="UTC")
    for scalar, arrow in _SCALARS.items():
        if issubclass(cls, scalar):
            return arrow
    raise TypeError(f"{where}: no Parquet type for {cls.__name__}")


def _unwrap(annotation: Any) -> tuple[Any, dict[str, Any]]:
    """The annotation without Optional/Annotated, and the digit constraints found on the way."""
    constraints: dict[str, Any] = {}
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extras = typing.get_args(annotation)
            for extra in extras:
                constraints.update(_digit_constraints(extra))
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                raise TypeError(f"no Parquet type for a union of {members}")
            annotation = members[0]
        else:
            return annotation, constraints


def _digit_constraints(extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in [extra, *getattr(extra, "metadata", [])]:
        for name in ("max_digits", "decimal_places"):
            value = getattr(item, name, None)
            if value is not None:
                found[name] = value
    return found


def plain_values(value: Any) -> Any:
    """A model dump made Arrow-ready: enums become their values, sets become lists."""
    if isinstance(value, dict):
        return {key: plain_values(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain_values(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value
