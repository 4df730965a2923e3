"""The report's three charts, drawn with matplotlib as self-contained SVG for inlining.

Figures are made with `matplotlib.figure.Figure`, never pyplot: no GUI backend, no global state,
so the charts draw the same on a server without a display.
"""

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, StrMethodFormatter
from matplotlib.typing import RcKeyType

from extractors.report.run_report import DatasetReport, LatencySummary, RunReport, UsageLine
from extractors.report.text_table import money

_STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",  # text stays text: selectable, searchable, small
    "svg.hashsalt": "visionbatch",  # ids from content, not random: the same report, same file
    "text.parse_math": False,  # "$" in a model name is a dollar sign, not TeX
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


_NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


_WIDTH_INCHES = 10.0


def throughput_chart(report: RunReport) -> str:
    """Pages finished per minute, one bar series per dataset."""
    with _figure(3.2) as (figure, axes):
        series = [d for d in report.datasets if d.throughput]
        width = 0.8 / len(series)
        for index, dataset in enumerate(series):
            offset = timedelta(minutes=0.1 + index * width)
            minutes = [date2num(m.minute + offset) for m in dataset.throughput]
            pages = [m.pages for m in dataset.throughput]
            axes.bar(minutes, pages, width=width / 1440, align="edge", label=dataset.name)
        locator = AutoDateLocator(tz=UTC)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=UTC))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        _label(axes, "Pages finished per minute", "minute (UTC)", "pages finished")
        return _svg(figure, "throughput")


def latency_chart(report: RunReport) -> str:
    """Histogram of request latency (a document's requests, for document datasets)."""
    with _figure(3.2) as (figure, axes):
        measured = [d for d in report.datasets if d.latency.count]
        for dataset in measured:
            bins = dataset.latency.histogram
            lefts = [b.low_ms for b in bins]
            widths = [(b.high_ms - b.low_ms) or max(b.low_ms * 0.02, 1.0) for b in bins]
            unit = "per request" if dataset.latency.unit == "request" else "per document"
            label = f"{dataset.name} ({unit})"
            bars = axes.bar(
                lefts, [b.count for b in bins], widths, align="edge", alpha=0.7, label=label
            )
            color = bars.patches[0].get_facecolor()
            _percentile_lines(axes, dataset.name, dataset.latency, color)
        if not measured:
            _say(axes, "no latency recorded: no request was answered")
        axes.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        _label(axes, "Request latency", "latency (ms)", "count")
        return _svg(figure, "latency")


def confidence_chart(dataset: DatasetReport) -> str | None:
    """The ok rows' confidence in bins of 0.1, the threshold marked; None when none has one."""
    trust = dataset.trust
    if trust is None or not trust.histogram:
        return None
    with _figure(2.4) as (figure, axes):
        bins = trust.histogram
        colors = ["#d35400" if b.high_ms <= trust.threshold else "#2b7bb9" for b in bins]
        axes.bar([b.low_ms for b in bins], [b.count for b in bins], 0.1, align="edge", color=colors)
        label = f"threshold {trust.threshold:.2f}"
        axes.axvline(trust.threshold, color="#1d2430", linestyle="--", linewidth=1.2, label=label)
        axes.set_xlim(0, 1)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        title = f"{dataset.name}: confidence of ok rows"
        _label(axes, title, "confidence", "rows")
        return _svg(figure, f"confidence-{_ID_UNSAFE.sub('-', dataset.name)}")


_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def _percentile_lines(axes: Axes, dataset: str, latency: LatencySummary, color: Any) -> None:
    for name, value, style in (("p50", latency.p50_ms, "--"), ("p95", latency.p95_ms, ":")):
        if value is not None:
            label = f"{dataset} {name} {value:,.0f} ms"
            axes.axvline(value, color=color, alpha=1.0, linestyle=style, linewidth=1.5, label=label)


def usage_chart(report: RunReport) -> str:
    """Estimated cost by model when every cost is known in one currency; tokens otherwise.

    Models whose engine counts no tokens are left out (`has_usage_to_chart`).
    """
    lines = _usage_by_model(report)
    with _figure(1.4 + 0.45 * max(len(lines), 1)) as (figure, axes):
        names = [line.label for line in lines.values()]
        currencies = {line.price.currency for line in lines.values() if line.price}
        costs = [line.cost for line in lines.values()]
        reason = _why_not_cost(costs, currencies)
        if reason is None:
            currency = currencies.pop()
            bars = axes.barh(names, [cost or 0.0 for cost in costs])
            axes.bar_label(bars, [money(cost or 0.0, currency) for cost in costs], padding=3)
            _label(axes, "Estimated cost by model", f"estimated cost ({currency})", "")
        else:
            prompt = [line.prompt_tokens for line in lines.values()]
            completion = [line.completion_tokens for line in lines.values()]
            axes.barh(names, prompt, label="prompt tokens")
            bars = axes.barh(names, completion, left=prompt, label="completion tokens")
            totals = [f"{p + c:,}" for p, c in zip(prompt, completion, strict=True)]
            axes.bar_label(bars, totals, padding=3)
            axes.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
            _label(axes, f"Tokens by model ({reason})", "tokens", "")
        axes.invert_yaxis()  # first model on top, as in the tables
        return _svg(figure, "usage")


def has_usage_to_chart(report: RunReport) -> bool:
    """Whether a model counted tokens, or none answered; not when only tokenless engines did."""
    lines = [line for dataset in report.datasets for line in dataset.usage]
    return not lines or any(not line.tokenless for line in lines)


def _usage_by_model(report: RunReport) -> dict[tuple[str, str], UsageLine]:
    """Usage summed over datasets per (provider, model, batch or online); a model's price is
    the same in each dataset."""
    merged: dict[tuple[str, str], UsageLine] = {}
    # An engine that counts no tokens has none to draw: the tables say so instead.
    counted = (line for dataset in report.datasets for line in dataset.usage)
    for line in (line for line in counted if not line.tokenless):
        key = (line.provider, line.label)
        seen = merged.get(key)
        merged[key] = line if seen is None else _summed(seen, line)
    return merged


def _summed(first: UsageLine, second: UsageLine) -> UsageLine:
    return UsageLine(
        first.provider,
        first.model,
        first.requests + second.requests,
        first.prompt_tokens + second.prompt_tokens,
        first.completion_tokens + second.completion_tokens,
        first.without_usage + second.without_usage,
        first.price,
        first.batch,
    )


def _why_not_cost(costs: list[float | None], currencies: set[str]) -> str | None:
    """Why the chart shows tokens rather than cost; None when it can show cost."""
    if any(cost is None for cost in costs):
        return "cost unknown: no price for some models"
    if len(currencies) > 1:
        return "costs are in several currencies"
    if not any(costs):
        return "estimated cost is 0"
    return None


@contextmanager
def _figure(height: float) -> Iterator[tuple[Figure, Axes]]:
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(_WIDTH_INCHES, height), layout="constrained")
        yield figure, figure.add_subplot()


def _label(axes: Axes, title: str, x: str, y: str) -> None:
    axes.set_title(title, loc="left", fontweight="bold")
    axes.set_xlabel(x)
    axes.set_ylabel(y)
    axes.grid(axis="x" if not y else "y", alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        # Beside the plot, not over it: bars reach any corner.
        axes.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def _say(axes: Axes, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes)
    axes.set_xticks([])
    axes.set_yticks([])


def _svg(figure: Figure, prefix: str) -> str:
    """The figure as an <svg> element with ids unique to it, ready to inline in HTML."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata=_NO_METADATA)
    text = buffer.getvalue()
    element = text[text.index("<svg") :]
    # Namespaces are implied for <svg> inside HTML; the declarations are not needed.
    root_end = element.index(">")
    root = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", element[:root_end])
    # Three charts share one HTML document: their ids (and references to them) must not clash.
    # Only tags are rewritten: text from the data is escaped, so it holds no "<" or ">".
    tags = re.sub(r"<[^<>]+>", lambda tag: _prefixed_ids(tag.group(0), prefix), element[root_end:])
    return root + tags


def _prefixed_ids(tag: str, prefix: str) -> str:
    tag = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', tag)
    tag = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", tag)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', tag)
