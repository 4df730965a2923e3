"""A page's text built from its visible characters only, and its visible words with boxes."""

import pymupdf

from extractors.load.layer.hidden_text import CharKey, char_key
from extractors.records import Box, PageWord


def raw_blocks(textpage: pymupdf.TextPage) -> list[dict]:
    """The text page's blocks down to characters, in reading order."""
    return list(textpage.extractRAWDICT(sort=True)["blocks"])


def visible_text(raw: list[dict], hidden: frozenset[CharKey]) -> str:
    """The text in reading order as `get_text("blocks")` joins it, hidden characters left out."""
    blocks = []
    for block in raw:
        lines = [_line_text(line, hidden) for line in block.get("lines", ())]
        text = "\n".join(line for line in lines if line.strip()).strip()
        if text:
            blocks.append(text)
    return "\n\n".join(blocks)


def span_blocks(textpage: pymupdf.TextPage) -> list[dict]:
    """The text page's blocks down to spans (text, size, flags, font), in reading order."""
    return list(textpage.extractDICT(sort=True)["blocks"])


def visible_span_blocks(raw: list[dict], hidden: frozenset[CharKey]) -> list[dict]:
    """`raw_blocks` in `span_blocks` form, each span's text made of its visible characters."""
    return [
        {
            "lines": [
                {"bbox": line["bbox"], "spans": _visible_spans(line, hidden)}
                for line in block.get("lines", ())
            ]
        }
        for block in raw
    ]


def all_words(textpage: pymupdf.TextPage) -> tuple[PageWord, ...]:
    """Every word of the text page with its box in PDF points (a page with nothing hidden)."""
    return tuple(
        PageWord(text, Box(round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2)))
        for x0, y0, x1, y1, text, *_ in textpage.extractWORDS()
    )


def visible_words(raw: list[dict], hidden: frozenset[CharKey]) -> tuple[PageWord, ...]:
    """The visible words with their boxes in PDF points, in reading order."""
    words: list[PageWord] = []
    for block in raw:
        for line in block.get("lines", ()):
            words.extend(_line_words(line, hidden))
    return tuple(words)


def _visible_chars(line: dict, hidden: frozenset[CharKey]) -> list[dict]:
    return [
        char
        for span in line["spans"]
        for char in span["chars"]
        if char_key(char["c"], char["origin"]) not in hidden
    ]


def _visible_spans(line: dict, hidden: frozenset[CharKey]) -> list[dict]:
    return [
        {
            "text": "".join(
                char["c"]
                for char in span["chars"]
                if char_key(char["c"], char["origin"]) not in hidden
            ),
            "size": span["size"],
            "flags": span["flags"],
            "font": span["font"],
        }
        for span in line["spans"]
    ]


def _line_text(line: dict, hidden: frozenset[CharKey]) -> str:
    return "".join(char["c"] for char in _visible_chars(line, hidden))


def _line_words(line: dict, hidden: frozenset[CharKey]) -> list[PageWord]:
    words: list[PageWord] = []
    run: list[dict] = []
    for char in [*_visible_chars(line, hidden), None]:
        if char is not None and not char["c"].isspace():
            run.append(char)
            continue
        if run:
            box = pymupdf.Rect(run[0]["bbox"])
            for part in run[1:]:
                box |= part["bbox"]
            text = "".join(part["c"] for part in run)
            corners = (box.x0, box.y0, box.x1, box.y1)
            words.append(PageWord(text, Box(*(round(v, 2) for v in corners))))
        run = []
    return words
