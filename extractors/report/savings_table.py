"""The table of a page dataset's pages not sent: pages, image tokens and cost saved by kind."""

from extractors.report.savings import CROPPED
from extractors.report.savings_records import SavedLine, Savings
from extractors.report.text_table import TextTable, money


def savings_table(name: str, savings: Savings) -> TextTable:
    """Pages answered without a request, by kind, and margins cropped off pages sent: the image
    tokens not sent and their cost."""
    rows = tuple(
        (
            line.kind,
            f"{line.pages:,}",
            "unknown" if _unknown(line) else f"{line.image_tokens:,}",
            _tokens_from(line, savings.profile),
            _saved_cost(line),
        )
        for line in savings.lines
    )
    columns = ("not sent", "pages", "image tokens", "tokens from", "est. cost saved")
    numeric = frozenset(("pages", "image tokens", "est. cost saved"))
    return TextTable(f"{name}: not sent", columns, rows, numeric, _savings_note(savings))


def _tokens_from(line: SavedLine, profile: str | None) -> str:
    """Where a kind's tokens come from: its rows, or estimated (how), with counts when mixed."""
    if line.kind == CROPPED:
        by_size = f"whole page estimated from size ({profile}), less the row's"
        unknown = "unknown: no token profile fits the pages sent"
    else:
        by_size = f"estimated from size ({profile})"
        unknown = "unknown: nothing sent to compare"
    sources = (
        ("the row", line.own),
        (by_size, line.by_size),
        ("estimated: median of sent pages", line.by_median),
        (unknown, line.unknown),
    )
    present = [(label, count) for label, count in sources if count]
    if len(present) <= 1:
        return present[0][0] if present else "-"
    return ", ".join(f"{label} {count:,}" for label, count in present)


def _unknown(line: SavedLine) -> bool:
    """Pages none of whose tokens can be told: shown unknown, never 0."""
    return line.pages > 0 and line.unknown == line.pages


def _saved_cost(line: SavedLine) -> str:
    if _unknown(line):
        return "unknown"
    if line.image_tokens == 0:
        return "0"
    if line.self_hosted:
        return "self-hosted"
    return (
        "unknown" if line.cost is None or line.currency is None else money(line.cost, line.currency)
    )


def _savings_note(savings: Savings) -> str:
    notes = [
        "Image tokens of the pages no request asked, at each model's input price (the answers "
        "they would have had are not counted). A repeated page's tokens are its row's; others "
        "are estimated from the page's size by the token profile that gives every sent page its "
        "tokens, else at the sent pages' median"
        + (f" ({savings.median_image_tokens:,})" if savings.median_image_tokens else "")
        + ". Cropped margins: pages sent cut to their content box (--crop-margins), the tokens "
        "their whole page would have cost at the density sent, by that profile, less the row's."
    ]
    share = savings.share
    if share is not None and savings.sent_prompt_tokens is not None:
        before = savings.sent_prompt_tokens + savings.image_tokens
        notes.append(
            f"Not sent: {share:.1%} of the {before:,} prompt tokens of every page sent whole "
            f"({savings.sent_prompt_tokens:,} sent + {savings.image_tokens:,} not sent)."
        )
    return " ".join(notes)
