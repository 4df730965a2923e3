"""Merging the fields extracted from the chunks of a document too large for one request."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model


@dataclass(frozen=True)
class MergedFields:
    """One document's fields from several chunks, and where the chunks disagreed."""

    values: dict[str, Any]
    conflicts: tuple[str, ...]


def merge_chunks(parts: Sequence[dict[str, Any]]) -> MergedFields:
    """Fields of chunks given in page order, merged field by field.

    Lists (line items) are concatenated in page order. A scalar takes the one value the chunks
    gave; when they disagree, a number keeps the last chunk's (totals end a document) and
    anything else the first chunk's (names, numbers and dates head it). Objects merge the same
    way field by field. Every disagreement is reported.
    """
    conflicts: list[str] = []
    names = list(dict.fromkeys(name for part in parts for name in part))
    values = {name: _merge([p.get(name) for p in parts], name, conflicts) for name in names}
    return MergedFields(values, tuple(conflicts))


def _merge(candidates: list[Any], where: str, conflicts: list[str]) -> Any:
    present = [c for c in candidates if c is not None and c != []]
    if not present:
        return candidates[0] if candidates else None
    if all(isinstance(c, list) for c in present):
        return [item for c in present for item in c]
    if all(isinstance(c, dict) for c in present):
        # Same-named fields of a nested object (seller.name) merge like top-level ones.
        keys = list(dict.fromkeys(k for c in present for k in c))
        return {k: _merge([c.get(k) for c in present], f"{where}.{k}", conflicts) for k in keys}
    distinct: list[Any] = []
    for candidate in present:
        if candidate not in distinct:
            distinct.append(candidate)
    if len(distinct) == 1:
        return distinct[0]
    numeric = all(isinstance(c, (int, float, Decimal)) and not isinstance(c, bool) for c in present)
    kept = present[-1] if numeric else present[0]
    listed = ", ".join(str(c) for c in distinct)
    conflicts.append(f"{where}: chunks said {listed}; kept {kept}")
    return kept


def partial_model(model: type[BaseModel]) -> type[BaseModel]:
    """The model with every field optional: a chunk of pages may show only some fields."""
    fields: dict[str, Any] = {
        name: (
            Optional[info.annotation],  # noqa: UP045 - the annotation is a runtime value
            Field(default=None, description=info.description),
        )
        for name, info in model.model_fields.items()
    }
    config = ConfigDict(frozen=True, extra="ignore")
    partial: type[BaseModel] = create_model(f"{model.__name__}Part", __config__=config, **fields)
    return partial
