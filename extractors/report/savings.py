"""What a page dataset answered without a request, and the image tokens that did not send.

Three kinds, told from their rows (none has a `request_id`): a page repeating one answered
already (in its run, an earlier run on DIR or its batch plan: a `same image as` warning,
`set_aside.copy_warning`), a page judged blank
(`text_source` blank) and a page read from the PDF's own text layer (`text_source` text_layer).
Every row written counts, as the usage table counts work, but a page of given content once: a
whole file found again at another path repeats its stored rows, a saving of resume, not of these.

A fourth, cropped margins (`--crop-margins`), is a saving of pages sent: the tokens each sent
row's whole page would have cost, less its own. Every sent row counts, as its prompt tokens do.
"""

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from extractors.plan.profiles.base import TokenProfile
from extractors.plan.profiles.registry import PROFILES
from extractors.report.frames import column_or_null, scan_parts
from extractors.report.pricing import PriceTable
from extractors.report.run_report import UsageLine
from extractors.report.savings_records import SavedLine, Savings

REPEATED = "repeated page"
BLANK = "blank page"
TEXT_LAYER = "text layer"
CROPPED = "cropped margins"

_COPY_WARNING = "same image as "

# Tried in this order: a repeated page keeps its original's `text_source`, so its warning decides.
# Cropped margins are a saving of a sent page, not a page unsent: their line goes after these.
_KINDS: tuple[tuple[str, pl.Expr], ...] = (
    (
        REPEATED,
        pl.col("warnings").list.eval(pl.element().str.starts_with(_COPY_WARNING)).list.any(),
    ),
    (BLANK, pl.col("text_source") == "blank"),
    (TEXT_LAYER, pl.col("text_source") == "text_layer"),
)

_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "source_sha256": pl.String,
    "page": pl.Int32,
    "run_id": pl.String,
    "provider": pl.String,
    "model": pl.String,
    "request_id": pl.String,
    "text_source": pl.String,
    "warnings": pl.List(pl.String),
    "image_tokens": pl.Int64,
    "width": pl.Int64,
    "height": pl.Int64,
    "batch_id": pl.String,
    "crop": pl.Struct({side: pl.Float32 for side in ("x0", "y0", "x1", "y1")}),
    "extracted_at": pl.Datetime("us", "UTC"),
}


def dataset_savings(files: list[Path], prices: PriceTable, usage: Sequence[UsageLine]) -> Savings:
    """The pages of a page dataset that no request asked, by kind, and the margins cropped off
    the pages it sent, with what they saved."""
    rows = _rows(files)
    sent = rows.filter(pl.col("request_id").is_not_null() & pl.col("image_tokens").is_not_null())
    saved = _saved(rows)
    cropped = _cropped(sent)
    profiles = _profiles_of(sent, _sizes_to_estimate(saved), _whole_sizes(cropped))
    profile = profiles[0] if profiles else None
    median = sent["image_tokens"].median() if not sent.is_empty() else None
    median_tokens = None if median is None else round(float(median))  # type: ignore[arg-type]
    priced = _with_tokens(saved, profile, median_tokens)
    unsent = (_line(kind, priced.filter(pl.col("kind") == kind), prices) for kind, _ in _KINDS)
    lines = (*unsent, _line(CROPPED, _with_crop_tokens(cropped, profile), prices))
    return Savings(
        lines,
        _sent_prompt_tokens(usage),
        " or ".join(p.name for p in profiles) or None,
        median_tokens,
    )


def _rows(files: list[Path]) -> pl.DataFrame:
    scan = scan_parts(files)
    names = scan.collect_schema().names()
    columns = [column_or_null(names, name, dtype) for name, dtype in _COLUMNS.items()]
    # The first kind that fits: coalesce takes the first test that is true.
    kind = pl.coalesce([pl.when(test).then(pl.lit(name)) for name, test in _KINDS])
    # A run answered through a batch API would have sent its unsent pages there too.
    batch_run = pl.col("batch_id").is_not_null().any().over("run_id").alias("batch_run")
    return (
        scan.select(columns)
        .with_columns(pl.when(pl.col("request_id").is_null()).then(kind).alias("kind"), batch_run)
        .sort("extracted_at", maintain_order=True)
        .collect()
    )


def _saved(rows: pl.DataFrame) -> pl.DataFrame:
    """The unsent rows, a page of given content once (its first row)."""
    unsent = rows.filter(pl.col("kind").is_not_null())
    return unsent.unique(subset=["source_sha256", "page"], keep="first", maintain_order=True)


def _profiles_of(
    sent: pl.DataFrame, wanted: list[tuple[int, int]], whole: list[tuple[int, int]]
) -> list[TokenProfile]:
    """The known profiles that give every sent page its recorded tokens from its size, if they
    agree on the estimates of the `wanted` sizes and of the `whole` pages of cropped ones; none
    when nothing was sent to check them against."""
    sized = sent.drop_nulls(["width", "height"]).unique(["width", "height", "image_tokens"])
    if sized.is_empty():
        return []
    triples = list(sized.select("width", "height", "image_tokens").iter_rows())
    fitting = [
        p for p in PROFILES.values() if all(p.image_tokens(w, h) == t for w, h, t in triples)
    ]
    estimates = {
        (
            *(p.image_tokens(w, h) for w, h in wanted),
            *(_whole_page_tokens(p, w, h) for w, h in whole),
        )
        for p in fitting
    }
    return fitting if len(estimates) == 1 else []


def _sizes_to_estimate(saved: pl.DataFrame) -> list[tuple[int, int]]:
    needed = saved.filter(pl.col("image_tokens").is_null()).drop_nulls(["width", "height"])
    return list(needed.select("width", "height").unique().sort("width", "height").iter_rows())


def _cropped(sent: pl.DataFrame) -> pl.DataFrame:
    """The sent rows of pages cut to their content box, with their whole page's size in pixels
    at the density sent: the image's size over the share of the page it holds."""
    return sent.filter(pl.col("crop").is_not_null()).with_columns(
        whole_width=_whole_side("width", "x0", "x1"),
        whole_height=_whole_side("height", "y0", "y1"),
    )


def _whole_side(side: str, low: str, high: str) -> pl.Expr:
    share = pl.col("crop").struct.field(high) - pl.col("crop").struct.field(low)
    # A box of no width (never written) would make it infinite: null, its tokens unknown.
    return (pl.col(side) / share).round().cast(pl.Int64, strict=False)


def _whole_sizes(cropped: pl.DataFrame) -> list[tuple[int, int]]:
    sizes = cropped.select("whole_width", "whole_height").drop_nulls().unique()
    return list(sizes.sort("whole_width", "whole_height").iter_rows())


def _whole_page_tokens(profile: TokenProfile, width: int, height: int) -> int:
    """A whole page's tokens, sized as a run without `--crop-margins` sizes it: shrunk to the
    profile's largest size worth sending first."""
    return profile.image_tokens(*profile.fit(max(1, width), max(1, height)))


def _with_crop_tokens(cropped: pl.DataFrame, profile: TokenProfile | None) -> pl.DataFrame:
    """Each cropped row's tokens saved: its whole page's, by the profile, less its own (never
    below 0: a cropped page is sized at most at its whole page's tokens); unknown without a
    profile, which says what the whole page would cost."""
    sizes = _whole_sizes(cropped)
    known = [(w, h, _whole_page_tokens(profile, w, h)) for w, h in sizes] if profile else []
    estimates = pl.DataFrame(
        known,
        schema={"whole_width": pl.Int64, "whole_height": pl.Int64, "whole_tokens": pl.Int64},
        orient="row",
    )
    joined = cropped.join(estimates, on=["whole_width", "whole_height"], how="left")
    whole = pl.col("whole_tokens")
    return joined.with_columns(
        tokens=(whole - pl.col("image_tokens")).clip(lower_bound=0),
        how=pl.when(whole.is_not_null()).then(pl.lit("size")).otherwise(pl.lit("unknown")),
    )


def _with_tokens(
    saved: pl.DataFrame, profile: TokenProfile | None, median: int | None
) -> pl.DataFrame:
    """Each unsent page's tokens and how they are known: `own`, `size`, `median`, `unknown`."""
    sizes = _sizes_to_estimate(saved) if profile is not None else []
    estimates = pl.DataFrame(
        {
            "width": [w for w, _ in sizes],
            "height": [h for _, h in sizes],
            "by_size": [profile.image_tokens(w, h) for w, h in sizes] if profile else [],
        },
        schema={"width": pl.Int64, "height": pl.Int64, "by_size": pl.Int64},
    )
    joined = saved.join(estimates, on=["width", "height"], how="left", nulls_equal=False)
    own, by_size = pl.col("image_tokens"), pl.col("by_size")
    return joined.with_columns(
        tokens=pl.coalesce(own, by_size, pl.lit(median, pl.Int64)),
        how=pl.when(own.is_not_null())
        .then(pl.lit("own"))
        .when(by_size.is_not_null())
        .then(pl.lit("size"))
        .when(pl.lit(median is not None))
        .then(pl.lit("median"))
        .otherwise(pl.lit("unknown")),
    )


def _line(kind: str, pages: pl.DataFrame, prices: PriceTable) -> SavedLine:
    how = dict(pages.group_by("how").len().iter_rows())
    known = pages.filter(pl.col("tokens").is_not_null())
    per_model = known.group_by("provider", "model", "batch_run").agg(pl.col("tokens").sum())
    cost, currency, self_hosted = _cost(per_model.sort("provider", "model", "batch_run"), prices)
    return SavedLine(
        kind=kind,
        pages=pages.height,
        image_tokens=int(known["tokens"].sum()),
        own=how.get("own", 0),
        by_size=how.get("size", 0),
        by_median=how.get("median", 0),
        unknown=how.get("unknown", 0),
        cost=cost,
        currency=currency,
        self_hosted=self_hosted,
    )


def _cost(per_model: pl.DataFrame, prices: PriceTable) -> tuple[float | None, str | None, bool]:
    """The tokens at each model's input price: unknown once a price is, or currencies mix."""
    cost, currencies, self_hosted = 0.0, set(), True
    for provider, model, batch, tokens in per_model.iter_rows():
        price = (prices.batch_price_of if batch else prices.price_of)(provider, model)
        if price is None:
            return None, None, False
        cost += price.cost(tokens, 0)
        currencies.add(price.currency)
        self_hosted = self_hosted and price.self_hosted
    if len(currencies) > 1:
        return None, None, False
    return cost, next(iter(currencies), None), self_hosted and bool(currencies)


def _sent_prompt_tokens(usage: Sequence[UsageLine]) -> int | None:
    """The prompt tokens sent; None when every engine that answered counts none."""
    answered = [line for line in usage if line.requests or line.without_usage]
    if answered and all(line.tokenless for line in answered):
        return None
    return sum(line.prompt_tokens for line in usage)
