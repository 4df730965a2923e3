"""One line per document: its standing outcomes, and the tokens, cost and time it took."""

from dataclasses import dataclass, field

import polars as pl

from extractors.report.pricing import Price, PriceTable
from extractors.report.run_report import DocumentLine


@dataclass
class _Work:
    """What a document's requests took, summed over its providers and models."""

    tokens: int | None = None
    cost: float | None = 0.0
    currencies: set[str] = field(default_factory=set)
    self_hosted: bool = True
    latency_ms: float | None = None

    def add_latency(self, latency: float) -> None:
        self.latency_ms = (self.latency_ms or 0.0) + latency

    def add_tokens(self, prompt: int, completion: int, price: Price | None) -> None:
        """Tokens the endpoint reported, and their cost: unknown once one price is."""
        self.tokens = (self.tokens or 0) + prompt + completion
        if price is None or self.cost is None:
            self.cost = None
            return
        self.cost += price.cost(prompt, completion)
        self.currencies.add(price.currency)
        self.self_hosted = self.self_hosted and price.self_hosted


def document_lines(
    rows: pl.DataFrame, current: pl.DataFrame, prices: PriceTable
) -> tuple[DocumentLine, ...]:
    """Every document, those with errors first, then those with warnings, then by source.

    Outcomes count the standing rows (`current`); tokens, cost and latency every row written,
    each request and token share once, as the usage table does.
    """
    outcomes = current.group_by("source").agg(
        pages=pl.col("pages_done").sum(),
        ok=(pl.col("status") == "ok").sum(),
        errors=(pl.col("status") == "error").sum(),
        warnings=pl.col("warnings").filter(pl.col("status") == "ok").list.len().sum(),
    )
    work = _work(rows, prices)
    lines = [
        _line(source, pages, ok, errors, warnings, work.get(source, _Work()))
        for source, pages, ok, errors, warnings in outcomes.iter_rows()
    ]
    return tuple(sorted(lines, key=lambda d: (-d.errors, -d.warnings, d.source)))


def _line(
    source: str, pages: int, ok: int, errors: int, warnings: int, work: _Work
) -> DocumentLine:
    one_currency = next(iter(work.currencies)) if len(work.currencies) == 1 else None
    return DocumentLine(
        source=source,
        pages=pages,
        ok=ok,
        errors=errors,
        warnings=warnings or 0,
        tokens=work.tokens,
        cost=work.cost if work.tokens is not None and one_currency else None,
        currency=one_currency,
        self_hosted=work.tokens is not None and work.cost is not None and work.self_hosted,
        latency_ms=work.latency_ms,
    )


def _work(rows: pl.DataFrame, prices: PriceTable) -> dict[str, _Work]:
    new_request = pl.col("request_key").is_not_null() & pl.col("request_key").is_first_distinct()
    billed = pl.col("billing_key").is_not_null() & pl.col("billing_key").is_first_distinct()
    reported = pl.col("_billed") & pl.col("prompt_tokens").is_not_null()
    per_model = (
        rows.with_columns(_new=new_request, _billed=billed)
        .group_by("source", "provider", "model", "batch")
        .agg(
            prompt=pl.col("prompt_tokens").filter(reported).sum(),
            completion=pl.col("completion_tokens").filter(reported).sum(),
            reported=reported.sum(),
            latency=pl.col("latency_ms").filter("_new").sum(),
            answered=(pl.col("_new") & pl.col("latency_ms").is_not_null()).sum(),
        )
        .sort("source", "provider", "model", "batch")
    )
    work: dict[str, _Work] = {}
    for (
        source,
        provider,
        model,
        batch,
        prompt,
        completion,
        told,
        latency,
        answered,
    ) in per_model.iter_rows():
        document = work.setdefault(source, _Work())
        if answered:
            document.add_latency(latency)
        if told:
            price = (prices.batch_price_of if batch else prices.price_of)(provider, model)
            document.add_tokens(prompt, completion, price)
    return work
