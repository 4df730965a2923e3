"""A page's visible text as Markdown, from what PyMuPDF gives cheaply: its blocks and their spans.

Blocks are paragraphs; a short block clearly larger than the page's body size (the size most
characters are set in) is a heading, `#` to `###` by how much larger; a single short bold line
at body size is a `####` heading; lines that start with a bullet become `- ` items, numbered
lines (`1.`, `2)`) stay as they are, as Markdown reads them. No tables, no emphasis: those need
a layout analysis that costs hundreds of times more (pymupdf4llm, measured in
benchmarks/text_layer.py). Every visible character is kept but the bullet glyphs, which become
the `- ` marks.
"""

import re
from collections import Counter
from collections.abc import Iterable

# (ratio of a block's size to the body size, heading level): the first that the ratio reaches.
_LEVELS = ((1.8, 1), (1.4, 2), (1.15, 3))
_BOLD_LEVEL = 4
# A heading is a title, not a page of large print.
_HEADING_MAX_LINES = 3
_HEADING_MAX_CHARS = 150
_BOLD_HEADING_MAX_CHARS = 80
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_BULLET = re.compile(
    "^[\u2022\u25e6\u25aa\u25ab\u2023\u2043\u25cf\u25cb\u25a0\u25a1\u00b7*+\\-\u2013]\\s+"
)
_LONE_BULLET = re.compile("^[\u2022\u25e6\u25aa\u25ab\u2023\u2043\u25cf\u25cb\u25a0\u25a1\u00b7]$")
_NUMBERED = re.compile(r"^\d{1,2}[.)]\s+")
# Plain lines that Markdown would read as a heading or a quote.
_MARKDOWN_START = re.compile(r"^([#>])")
# A line that starts this far right of its item's line continues the item (a hanging indent).
_INDENT = 1.0


def page_markdown(blocks: Iterable[dict]) -> str:
    """Markdown of text blocks in `page.get_text("dict")` form (spans with text, size, flags)."""
    text_blocks = [block for block in blocks if block.get("lines")]
    body = body_size(text_blocks)
    parts = [_block_markdown(block, body) for block in text_blocks]
    return "\n\n".join(part for part in parts if part)


def body_size(blocks: Iterable[dict]) -> float:
    """The font size most of the page's characters are set in."""
    sizes: Counter[float] = Counter()
    for block in blocks:
        for line in block["lines"]:
            for span in line["spans"]:
                sizes[round(span["size"], 1)] += len(span["text"].strip())
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _block_markdown(block: dict, body: float) -> str:
    lines = [line for line in block["lines"] if _line_text(line).strip()]
    if not lines:
        return ""
    level = _heading_level(lines, body)
    if level:
        return "#" * level + " " + " ".join(_line_text(line).strip() for line in lines)
    return "\n".join(_body_lines(lines))


def _heading_level(lines: list[dict], body: float) -> int:
    spans = [span for line in lines for span in line["spans"] if span["text"].strip()]
    text = " ".join(_line_text(line).strip() for line in lines)
    if not spans or not body or _is_item(text) or len(lines) > _HEADING_MAX_LINES:
        return 0
    # A glyph alone (an arrow, a bullet) or a sentence is no title.
    if len(text) > _HEADING_MAX_CHARS or not any(map(str.isalnum, text)) or text.endswith("。"):
        return 0
    weight = sum(len(span["text"]) for span in spans)
    ratio = sum(span["size"] * len(span["text"]) for span in spans) / weight / body
    level = next((level for least, level in _LEVELS if ratio >= least), 0)
    if level:
        return level
    standalone = len(lines) == 1 and len(text) <= _BOLD_HEADING_MAX_CHARS
    if standalone and ratio >= 1.0 and all(map(_bold, spans)) and not text.endswith(":"):
        return _BOLD_LEVEL
    return 0


def _body_lines(lines: list[dict]) -> list[str]:
    """A block's lines as paragraph lines and list items; a lone bullet marks the next line."""
    out: list[str] = []
    item_x: float | None = None  # left edge of the current item's line, inside a list
    pending = False
    for line in lines:
        text, x0 = _line_text(line).strip(), line["bbox"][0]
        if _LONE_BULLET.match(text):
            pending, item_x = True, x0
            continue
        if pending or _is_item(text):
            if out and item_x is None:
                out.append("")  # a list after a paragraph's lines starts apart
            out.append("- " + text if pending else _as_item(text))
            item_x, pending = (item_x if pending else x0), False
        elif item_x is not None and x0 > item_x + _INDENT:
            out.append("  " + text)  # the item goes on
        else:
            if item_x is not None:
                out.append("")
            out.append(_MARKDOWN_START.sub(r"\\\1", text))
            item_x = None
    return out


def _is_item(text: str) -> bool:
    return bool(_BULLET.match(text) or _NUMBERED.match(text))


def _as_item(text: str) -> str:
    """`• milk` as `- milk`; a numbered line as it is."""
    bullet = _BULLET.match(text)
    return "- " + text[bullet.end() :] if bullet else text


def _line_text(line: dict) -> str:
    return "".join(span["text"] for span in line["spans"])


def _bold(span: dict) -> bool:
    return bool(span["flags"] & 16) or bool(_BOLD_FONT.search(span["font"]))
