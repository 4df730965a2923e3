"""Custom schemas: a JSON Schema file or a Pydantic model, validated and typed in Parquet."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from chat_server import ChatServer
from harness import run
from markers import make_marked_image

from extractors.answer.catalog import resolve_schema
from extractors.endpoint.prompt import response_format, strict_schema

LABEL_SCHEMA: dict[str, Any] = {
    "title": "Shipping Label",
    "description": "A parcel's shipping label.",
    "type": "object",
    "properties": {
        "tracking_number": {"type": "string", "description": "Carrier tracking number."},
        "ship_date": {"type": ["string", "null"], "format": "date"},
        "fee": {"type": "number", "multipleOf": 0.01, "description": "Postage, exact."},
        "weight_kg": {"type": "number"},
        "pieces": {"type": "integer"},
        "express": {"type": "boolean"},
        "carrier": {"enum": ["UPS", "DHL", "FedEx"]},
        "recipient": {"$ref": "#/$defs/Address"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
                "required": ["sku"],
            },
        },
    },
    "required": ["tracking_number"],
    "$defs": {
        "Address": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "city": {"type": "string"}},
        }
    },
}

LABEL = {
    "tracking_number": "1Z999",
    "ship_date": "2024-06-30",
    "fee": 12.35,
    "weight_kg": 1.5,
    "pieces": 2,
    "express": True,
    "carrier": "DHL",
    "recipient": {"name": "Ada", "city": "Lyon"},
    "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-2"}],
}


@pytest.fixture
def one_image(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_image(folder / "label_1.png", 1)
    return folder


def test_a_json_schema_file_gives_typed_columns(one_image: Path, tmp_path: Path) -> None:
    schema_file = tmp_path / "label.json"
    schema_file.write_text(json.dumps(LABEL_SCHEMA))
    out = tmp_path / "out"
    with ChatServer(document_answer=lambda record: LABEL) as server:
        run([one_image], out, base_url=server.base_url, model="m", schema_name=str(schema_file))
        sent = server.requests[0].response_format
    assert sent is not None and sent["json_schema"]["name"] == "shipping_label"
    df = pl.read_parquet(out / "shipping_label" / "*.parquet")
    assert df.schema["fee"] == pl.Decimal(18, 2) and df.schema["ship_date"] == pl.Date
    assert df.schema["weight_kg"] == pl.Float64 and df.schema["pieces"] == pl.Int64
    assert df.schema["express"] == pl.Boolean and df.schema["carrier"] == pl.String
    assert df.schema["recipient"] == pl.Struct({"name": pl.String, "city": pl.String})
    assert df.schema["items"] == pl.List(pl.Struct({"sku": pl.String, "qty": pl.Int64}))
    row = df.row(0, named=True)
    assert row["status"] == "ok" and row["fee"] == Decimal("12.35")
    assert row["ship_date"] == date(2024, 6, 30) and row["items"][1] == {"sku": "B-2", "qty": None}


def test_a_json_schema_requirement_is_enforced(one_image: Path, tmp_path: Path) -> None:
    schema_file = tmp_path / "label.json"
    schema_file.write_text(json.dumps(LABEL_SCHEMA))
    missing = {k: v for k, v in LABEL.items() if k != "tracking_number"}
    out = tmp_path / "out"
    with ChatServer(document_answer=lambda record: missing) as server:
        run([one_image], out, base_url=server.base_url, model="m", schema_name=str(schema_file))
        assert server.request_count == 2
        assert "tracking_number: Field required" in server.requests[1].texts[-1]
    row = pl.read_parquet(out / "shipping_label" / "*.parquet").row(0, named=True)
    assert row["status"] == "error" and json.loads(row["raw_answer"]) == missing


def test_a_pydantic_model_reference_gives_typed_columns(one_image: Path, tmp_path: Path) -> None:
    answer = {"tracking_number": "P-1", "fee": "3.10", "shipped_on": "2024-01-02", "tags": ["x"]}
    out = tmp_path / "out"
    with ChatServer(document_answer=lambda record: answer) as server:
        run(
            [one_image],
            out,
            base_url=server.base_url,
            model="m",
            schema_name="custom_models:Parcel",
        )
        assert "A parcel label." in server.requests[0].texts[0]  # the docstring instructs
    df = pl.read_parquet(out / "parcel" / "*.parquet")
    assert df.schema["fee"] == pl.Decimal(38, 9) and df.schema["tags"] == pl.List(pl.String)
    row = df.row(0, named=True)
    assert row["fee"] == Decimal("3.10") and row["shipped_on"] == date(2024, 1, 2)


def test_a_value_that_cannot_be_stored_as_typed_is_an_error_row(
    one_image: Path, tmp_path: Path
) -> None:
    answer = {"tracking_number": "P-2", "fee": "0.1234567890123"}  # 13 places > decimal(38, 9)
    out = tmp_path / "out"
    with ChatServer(document_answer=lambda record: answer) as server:
        run(
            [one_image],
            out,
            base_url=server.base_url,
            model="m",
            schema_name="custom_models:Parcel",
        )
    row = pl.read_parquet(out / "parcel" / "*.parquet").row(0, named=True)
    assert row["status"] == "error" and row["error_category"] == "output"
    assert "0.1234567890123" in row["raw_answer"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nonsense", "unknown schema 'nonsense'"),
        ("missing_module_xyz:Model", "cannot import 'missing_module_xyz'"),
        ("custom_models:NOT_A_MODEL", "is not a Pydantic model class"),
        ("custom_models:Absent", "is not a Pydantic model class"),
    ],
)
def test_bad_schema_references_are_explained(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve_schema(spec)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"type": "array"}, "root must be an object"),
        (
            {
                "type": "object",
                "properties": {"x": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            },
            "only 'X or null' unions",
        ),
        ({"type": "object", "properties": {"status": {"type": "string"}}}, "clash with provenance"),
        ({"type": "object", "properties": {"x": {"$ref": "#/$defs/Nope"}}}, "cannot resolve"),
    ],
)
def test_unmappable_json_schemas_are_explained(
    document: dict[str, Any], message: str, tmp_path: Path
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=message):
        resolve_schema(str(path))


def test_a_broken_schema_file_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="is not JSON"):
        resolve_schema(str(path))
    with pytest.raises(ValueError, match="cannot read schema"):
        resolve_schema(str(tmp_path / "absent.json"))


def test_strict_schemas_close_every_object_and_require_every_field() -> None:
    spec = response_format(resolve_schema("receipt"), strict=True)["json_schema"]
    assert spec["strict"] is True
    schema = spec["schema"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == list(schema["properties"])
    item = schema["$defs"]["LineItem"]
    assert item["additionalProperties"] is False and item["required"] == list(item["properties"])
    assert "default" not in json.dumps(schema)
    # A property *named* like a keyword is a name, not a keyword.
    named = strict_schema({"type": "object", "properties": {"default": {"type": "string"}}})
    assert named["properties"] == {"default": {"type": "string"}}
    assert named["required"] == ["default"]
