"""A user's own Pydantic model, importable as `custom_models:Parcel` for `--schema`."""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field


class Parcel(BaseModel):
    """A parcel label."""

    tracking_number: str = Field(description="Carrier tracking number.")
    weight_kg: float | None = Field(default=None, description="Weight in kilograms.")
    shipped_on: date | None = None
    fee: Decimal | None = Field(default=None, description="Postage paid.")
    pieces: int | None = None
    tags: list[str] = Field(default_factory=list)


NOT_A_MODEL = "just a string"
