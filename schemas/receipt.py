"""The `receipt` schema: one row per receipt, however many pages it spans.

`datetime` is imported as a module: fields named `date` and `time` would shadow its types.
"""

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from schemas.fields import CurrencyCode, LineItem, Money


class Receipt(BaseModel):
    """A till receipt: who sold, when, for how much, and what."""

    model_config = ConfigDict(frozen=True)

    merchant_name: str | None = Field(
        default=None, description="The shop or company name, usually at the top."
    )
    merchant_address: str | None = Field(
        default=None, description="The shop's address as printed, lines joined with ', '."
    )
    date: dt.date | None = Field(
        default=None, description="Date of the purchase, as ISO 8601 (YYYY-MM-DD)."
    )
    time: dt.time | None = Field(
        default=None, description="Time of the purchase, as HH:MM or HH:MM:SS (24-hour)."
    )
    currency: CurrencyCode | None = Field(
        default=None, description="ISO 4217 code of the currency (EUR, USD, MYR...)."
    )
    subtotal: Money | None = Field(default=None, description="Amount before tax and tip.")
    tax: Money | None = Field(default=None, description="Total tax (VAT, GST, sales tax).")
    tip: Money | None = Field(default=None, description="Tip or service charge, if any.")
    total: Money | None = Field(
        default=None, description="The amount paid: the final total, after tax and rounding."
    )
    payment_method: str | None = Field(
        default=None, description="How it was paid: cash, card (with its brand), voucher..."
    )
    line_items: list[LineItem] = Field(
        default_factory=list, description="The purchased items, one per printed line, in order."
    )
