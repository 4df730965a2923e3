"""Field types shared by the document schemas: money, quantities, currency codes, parties."""

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

# Money is exact: four decimal places cover every ISO 4217 minor unit (and unit prices by
# weight); 18 digits stay inside Parquet's 64-bit decimals. Models are asked for plain JSON
# numbers (a schema of number-or-pattern-string confuses them), validated here as Decimal.
Money = Annotated[
    Decimal,
    Field(max_digits=18, decimal_places=4),
    WithJsonSchema({"type": "number"}),
]
Quantity = Annotated[
    Decimal,
    Field(max_digits=18, decimal_places=4),
    WithJsonSchema({"type": "number"}),
]
CurrencyCode = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$"),
    WithJsonSchema({"type": "string", "pattern": "^[A-Z]{3}$"}),
]


class LineItem(BaseModel):
    """One line of a receipt or invoice."""

    model_config = ConfigDict(frozen=True)

    description: str | None = Field(
        default=None, description="The item as printed on its line, without the amounts."
    )
    quantity: Quantity | None = Field(
        default=None, description="How many units (or the weight); null when not printed."
    )
    unit_price: Money | None = Field(
        default=None, description="Price of one unit, as a number without currency sign."
    )
    amount: Money | None = Field(
        default=None, description="The line's total, as a number without currency sign."
    )


class Party(BaseModel):
    """A seller or buyer on an invoice."""

    model_config = ConfigDict(frozen=True)

    name: str | None = Field(default=None, description="Company or person name as printed.")
    address: str | None = Field(
        default=None, description="Postal address as printed, lines joined with ', '."
    )
    vat_id: str | None = Field(
        default=None, description="VAT / tax registration number as printed (e.g. FR12345678901)."
    )
