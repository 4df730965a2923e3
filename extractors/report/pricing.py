"""Prices per million tokens by provider and model, to estimate what a run cost.

The defaults are indicative list prices as of 2026: providers change them, and contracts differ,
so a user overrides or adds entries with `visionbatch report --prices FILE`. A (provider, model)
with no entry and no provider-wide `(provider, "*")` entry has no price: its cost is unknown,
never 0.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from extractors.endpoint.providers import GENERIC, LOCAL
from extractors.errors import PriceFileError

ANY_MODEL = "*"


PriceKey = tuple[str, str]  # (provider, model); model ANY_MODEL prices every model of a provider


@dataclass(frozen=True)
class Price:
    """What a million prompt (input) and completion (output) tokens cost, in one currency."""

    input_per_million: float
    output_per_million: float
    currency: str
    # What a token costs through the provider's batch API, as a fraction of this price
    # (OpenAI and Mistral: half); None when the provider gives no figure.
    batch_factor: float | None = None
    # The user's own hardware: no bill per token, said as such rather than as "0.0000 USD".
    self_hosted: bool = False

    @property
    def in_batch(self) -> "Price | None":
        """The batch price, or None when unknown."""
        factor = self.batch_factor
        if factor is None:
            return None
        return Price(
            self.input_per_million * factor,
            self.output_per_million * factor,
            self.currency,
            1.0,
            self.self_hosted,
        )

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """The cost of that many tokens."""
        return (
            prompt_tokens * self.input_per_million + completion_tokens * self.output_per_million
        ) / 1_000_000


_HALF = 0.5


_SELF_HOSTED = Price(0.0, 0.0, "USD", self_hosted=True, batch_factor=1.0)


_DEFAULTS: dict[PriceKey, Price] = {
    # Self-hosted: the embedded OCR engine, vLLM and Ollama run on the user's own hardware, and a
    # bare URL is most often the user's own server. No per-token bill; a paid endpoint behind a
    # bare URL is priced with --prices.
    (LOCAL, ANY_MODEL): _SELF_HOSTED,
    ("vllm", ANY_MODEL): _SELF_HOSTED,
    ("ollama", ANY_MODEL): _SELF_HOSTED,
    (GENERIC, ANY_MODEL): _SELF_HOSTED,
    # Indicative list prices as of 2026; users override them with --prices.
    # Scaleway's batches are "discounted" with no figure published: their batch cost is unknown.
    ("scaleway", "pixtral-12b-2409"): Price(0.20, 0.20, "EUR"),
    # OpenAI's and Mistral's batch APIs cost half the online price (../shared/docs/batch-apis.md).
    ("openai", "gpt-4o-mini"): Price(0.15, 0.60, "USD", _HALF),
    ("openai", "gpt-4o"): Price(2.50, 10.00, "USD", _HALF),
    ("openai", "gpt-4.1-mini"): Price(0.40, 1.60, "USD", _HALF),  # the openai preset's default
    ("openai", "gpt-4.1"): Price(2.00, 8.00, "USD", _HALF),
    ("mistral", "pixtral-12b-2409"): Price(0.15, 0.15, "USD", _HALF),
    # Deliberately absent, so their cost shows as unknown rather than a made-up figure:
    # scaleway-managed bills dedicated GPU hours, not tokens; predictionguard sells plans, not a
    # per-token list price; gravix has published no per-token rate during its public preview.
}


@dataclass(frozen=True)
class PriceTable:
    """Prices by (provider, model), with `(provider, "*")` as the provider-wide fallback.

    A table made by `overridden_by` looks in the overrides first, then in its base: a user's
    `(openai, "*")` prices every OpenAI model, the ones the defaults name too.
    """

    prices: Mapping[PriceKey, Price] = field(default_factory=dict)
    base: "PriceTable | None" = None

    def price_of(self, provider: str, model: str) -> Price | None:
        """The model's own price, else its provider's, else the base's, else None (unknown)."""
        own = self.prices.get((provider, model)) or self.prices.get((provider, ANY_MODEL))
        if own is None and self.base is not None:
            return self.base.price_of(provider, model)
        return own

    def batch_price_of(self, provider: str, model: str) -> Price | None:
        """The price of a token answered in a batch, or None (unknown)."""
        price = self.price_of(provider, model)
        return price.in_batch if price is not None else None

    def overridden_by(self, overrides: Mapping[PriceKey, Price]) -> "PriceTable":
        """These prices under `overrides`, which win wherever they apply."""
        return PriceTable(dict(overrides), base=self)


DEFAULT_PRICES = PriceTable(_DEFAULTS)


_Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$", to_upper=True)]


class PriceEntry(BaseModel):
    """One entry of a --prices file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: str = Field(min_length=1, description="Provider preset, as rows record it.")
    model: str = Field(min_length=1, description=f"Model, or {ANY_MODEL!r} for every model.")
    input_per_million: float = Field(ge=0, allow_inf_nan=False, strict=True)
    output_per_million: float = Field(ge=0, allow_inf_nan=False, strict=True)
    currency: _Currency = Field(description="ISO 4217 code: EUR, USD...")
    batch_factor: float | None = Field(
        default=None,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="Batch price as a fraction of this one (0.5: half); none: unknown.",
    )


def load_prices(path: Path, base: PriceTable = DEFAULT_PRICES) -> PriceTable:
    """`base` overridden by a JSON file: a list of entries, or a mapping of name to entry."""
    document = _read_json(path)
    if isinstance(document, list):
        labelled = [(str(index), entry) for index, entry in enumerate(document, start=1)]
    elif isinstance(document, dict):
        labelled = list(document.items())
    else:
        raise PriceFileError(
            f"prices file {path}: expected a list of prices or a mapping of name to price"
        )
    overrides: dict[PriceKey, Price] = {}
    for label, raw in labelled:
        entry = _validated(path, label, raw)
        key = (entry.provider, entry.model)
        if key in overrides:
            raise PriceFileError(f"prices file {path}: {entry.provider}/{entry.model} priced twice")
        overrides[key] = Price(
            entry.input_per_million, entry.output_per_million, entry.currency, entry.batch_factor
        )
    return base.overridden_by(overrides)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PriceFileError(f"prices file {path}: cannot read it: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise PriceFileError(f"prices file {path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise PriceFileError(
            f"prices file {path}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None


def _validated(path: Path, label: str, raw: object) -> PriceEntry:
    try:
        return PriceEntry.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        detail = f"{where}: {first['msg']}" if where else first["msg"]
        raise PriceFileError(f"prices file {path}: entry {label}: {detail}{more}") from None
