"""A dry run's figures as a person reads them on the terminal: the totals, the time online,
the batch files, the largest folders, the formats and the unreadable files."""

from collections.abc import Iterator
from typing import Any

from extractors.document.dry_run_time import shown_duration

# Folders shown on the terminal (all of them are in --json), the largest first.
_FOLDERS_SHOWN = 10
_UNREADABLE_SHOWN = 10


def shown_lines(figures: dict[str, Any]) -> Iterator[str]:
    """The figures, a few lines a part."""
    yield f"dry run: {figures['provider']} / {figures['model']}, schema {figures['schema']}"
    yield from _work(figures)
    yield from _not_sent(figures["not_sent"], figures.get("currency"))
    yield from _time(figures["online_time"])
    if figures.get("batch"):
        yield from _batch(figures["batch"])
    yield from _groups("by format", figures["by_format"], len(figures["by_format"]))
    yield from _groups("by folder", figures["by_folder"], _FOLDERS_SHOWN)
    yield from _unreadable(figures["unreadable_files"])


def _work(f: dict[str, Any]) -> Iterator[str]:
    yield (
        f"files: {f['files']:,} ({f['unreadable']:,} unreadable, {f['files_done']:,} already done)"
    )
    yield (
        f"pages: {f['pages']:,} ({f['pages_done']:,} already ok, {f['text_layer_pages']:,} read "
        f"from their text layer, {f['pages_unfit']:,} too large to send)"
    )
    yield f"requests: {f['requests']:,} ({f['images']:,} page images)"
    if "prompt_tokens" in f:
        yield (
            f"prompt tokens: {f['prompt_tokens']:,} (images {f['image_tokens']:,}, text "
            f"{f['text_tokens']:,}); answer room: {f['answer_room']:,}"
        )
        yield (
            f"estimated cost: online {_money(f['estimated_cost_online'], f['currency'])}, "
            f"batch {_money(f['estimated_cost_batch'], f['currency'])} "
            "(answers at their full room: an upper bound)"
        )


def _not_sent(n: dict[str, Any], currency: str | None) -> Iterator[str]:
    layer = n["text_layer"]
    if "tokens_saved" not in layer:  # the embedded engine: no tokens
        yield f"not sent: {layer['pages']:,} pages read from their text layer"
    else:
        instead = layer["text_tokens_instead"]
        parts = (
            [f"{layer['image_tokens']:,} image tokens less {instead:,} of text"] if instead else []
        )
        if layer["share"] is not None:
            parts.append(f"{layer['share']:.1%} of the prompt tokens with them drawn")
        why = f" ({'; '.join(parts)})" if parts else ""
        yield (
            f"not sent: {layer['pages']:,} pages read from their text layer save "
            f"{layer['tokens_saved']:,} {'tokens' if instead else 'image tokens'}{why}: online "
            f"{_money(layer.get('cost_online'), currency)}, batch "
            f"{_money(layer.get('cost_batch'), currency)}"
        )
    yield _cropped(n["cropped_margins"], currency)
    yield f"not sent: {n['blank_and_repeated']}"


def _cropped(cropped: dict[str, Any] | str, currency: str | None) -> str:
    if isinstance(cropped, str):  # --crop-margins is off
        return f"cropped margins: {cropped}"
    pages = f"cropped margins: {cropped['pages']:,} pages cut to their content box"
    if "tokens_saved" not in cropped:  # the embedded engine: no tokens
        return pages
    share = cropped["share"]
    why = f" ({share:.1%} of the prompt tokens with them whole)" if share is not None else ""
    return (
        f"{pages} save {cropped['tokens_saved']:,} of the {cropped['image_tokens']:,} image "
        f"tokens they cost whole{why}: online {_money(cropped.get('cost_online'), currency)}, "
        f"batch {_money(cropped.get('cost_batch'), currency)}"
    )


def _money(value: float | None, currency: str | None) -> str:
    return "unknown" if value is None else f"{value:,.2f} {currency or ''}".rstrip()


def _time(t: dict[str, Any]) -> Iterator[str]:
    if t["bound_by"] == "engine":
        yield (
            f"embedded engine: {t['pages_read']:,} pages, {shown_duration(t['cpu_seconds'])} of "
            f"CPU, about {t['shown']} ({t['cpu_seconds_per_page']} s of CPU a page, measured)"
        )
        return
    latency = t["latency"]
    limits = f"--concurrency {t['concurrency']}, --rpm {_count(t['rpm'])}, --tpm {_count(t['tpm'])}"
    yield f"time online: about {t['shown']} at {limits}; bound by {t['bound_by']}"
    per_page = f" + {latency['page_seconds']:g} s a page" if latency["page_seconds"] else ""
    yield f"  latency {latency['request_seconds']:g} s a request{per_page}, {latency['source']}"


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _batch(b: dict[str, Any]) -> Iterator[str]:
    where = f"{b['flavour']} batch API" if b["batch_api"] else "--batch-file-only (no batch API)"
    yield (
        f"batch files: {len(b['files']):,} ({b['lines']:,} lines, {_mb(b['bytes'])}; at most "
        f"{b['max_lines']:,} lines and {_mb(b['max_bytes'])} a file), {where}, each done within "
        f"{b['completion_window_hours']} h"
    )
    for f in b["files"][:_FOLDERS_SHOWN]:
        yield f"  {f['name']}: {f['lines']:,} lines, {_mb(f['bytes'])}"
    if len(b["files"]) > _FOLDERS_SHOWN:
        yield f"  ... {len(b['files']) - _FOLDERS_SHOWN:,} more (--json lists them)"


def _mb(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"


def _groups(title: str, groups: dict[str, dict[str, int]], shown: int) -> Iterator[str]:
    largest = sorted(groups.items(), key=lambda item: -item[1]["pages"])
    yield f"{title}:"
    for name, c in largest[:shown]:
        yield (
            f"  {name}: files {c['files']:,}, pages {c['pages']:,}, requests {c['requests']:,}, "
            f"unreadable {c['unreadable']:,}"
        )
    if len(largest) > shown:
        yield f"  ... {len(largest) - shown:,} more (--json lists them)"


def _unreadable(files: list[dict[str, str]]) -> Iterator[str]:
    for u in files[:_UNREADABLE_SHOWN]:
        yield f"unreadable: {u['path']}: {u['reason']}"
    if len(files) > _UNREADABLE_SHOWN:
        yield f"unreadable: ... {len(files) - _UNREADABLE_SHOWN:,} more (--json lists them)"
