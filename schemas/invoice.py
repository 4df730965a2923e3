"""The `invoice` schema: one row per invoice, however many pages it spans."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from schemas.fields import CurrencyCode, LineItem, Money, Party


class Invoice(BaseModel):
    """An invoice: its number, dates, parties, amounts and lines."""

    model_config = ConfigDict(frozen=True)

    number: str | None = Field(default=None, description="The invoice number as printed.")
    issue_date: date | None = Field(
        default=None, description="Date the invoice was issued, as ISO 8601 (YYYY-MM-DD)."
    )
    due_date: date | None = Field(
        default=None, description="Date payment is due, as ISO 8601 (YYYY-MM-DD)."
    )
    seller: Party | None = Field(default=None, description="Who issued the invoice.")
    buyer: Party | None = Field(default=None, description="Who is billed.")
    currency: CurrencyCode | None = Field(
        default=None, description="ISO 4217 code of the currency (EUR, USD, GBP...)."
    )
    subtotal: Money | None = Field(default=None, description="Amount before tax.")
    tax: Money | None = Field(default=None, description="Total tax (VAT, GST, sales tax).")
    total: Money | None = Field(default=None, description="Amount due, tax included.")
    line_items: list[LineItem] = Field(
        default_factory=list, description="The invoiced lines, in order, across all pages."
    )
