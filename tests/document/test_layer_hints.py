"""Text-layer hints cut to the room a request has: a long layer never makes a page unextractable."""

from pathlib import Path

import polars as pl
import pymupdf
import pytest
from chat_server import ChatServer
from harness import run
from hypothesis import given
from hypothesis import strategies as st

from extractors.document.layer_hints import fit_hints
from extractors.endpoint.prompt import text_tokens


def test_hints_that_fit_are_sent_whole() -> None:
    fitted = fit_hints({1: "Invoice 2291 total 100.00", 2: "Page two"}, 1_000)
    assert fitted.texts == {1: "Invoice 2291 total 100.00", 2: "Page two"}
    assert fitted.cuts == {} and fitted.doubts(1) == ()


def test_a_long_hint_is_cut_at_a_space_and_says_where() -> None:
    text = "word " * 1_000_000  # a 5 MB layer
    fitted = fit_hints({1: text}, 10_000)
    kept, total = fitted.cuts[1]
    assert total == len(text) and 0 < kept < total
    assert text_tokens(fitted.texts[1]) <= 10_000
    assert fitted.texts[1].endswith(f"[text layer cut here: {kept:,} of {total:,} characters sent]")
    assert fitted.texts[1].startswith("word word") and " wor " not in fitted.texts[1]
    (doubt,) = fitted.doubts(1)
    assert (
        doubt.warning == f"text layer hint cut to fit the request: {kept:,} of {total:,} characters"
    )
    assert doubt.factor < 1


def test_a_short_hint_leaves_its_share_to_the_long_ones() -> None:
    fitted = fit_hints({1: "x " * 50_000, 2: "short", 3: "y " * 50_000}, 6_000)
    assert fitted.texts[2] == "short" and 2 not in fitted.cuts
    assert abs(fitted.cuts[1][0] - fitted.cuts[3][0]) <= 2  # the rest shared equally


def test_non_latin_text_is_counted_a_token_a_character() -> None:
    fitted = fit_hints({1: "Привет " * 10_000}, 3_000)
    assert text_tokens(fitted.texts[1]) <= 3_000
    letters = sum(1 for char in fitted.texts[1] if "а" <= char.lower() <= "я")
    assert 2_500 < letters < 3_000  # a token each, where 3 a token would have kept 9,000


def test_no_room_sends_no_hint_and_says_so() -> None:
    fitted = fit_hints({1: "some layer text " * 100}, 0)
    assert 1 not in fitted.texts and fitted.cuts[1] == (0, 1_600)


@given(
    st.dictionaries(st.integers(1, 12), st.text(min_size=1, max_size=3_000), max_size=6),
    st.integers(0, 4_000),
)
def test_fitted_hints_never_exceed_their_room(texts: dict[int, str], room: int) -> None:
    fitted = fit_hints(texts, room)
    assert sum(text_tokens(t) for t in fitted.texts.values()) <= room
    assert set(fitted.texts) | set(fitted.cuts) == set(texts)


def _long_layer_pdf(path: Path, lines: int = 300) -> str:
    """One page whose visible layer is ~60,000 characters (2-pt text in two columns)."""
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    line = "Ledger entry: the quarterly figures for the northern region were revised upward. "
    for column in (20, 316):
        page.insert_text((column, 10), [line] * lines, fontsize=2, lineheight=1.25)
    document.save(path)
    document.close()
    return line


@pytest.mark.parametrize("schema", ["page_text", "receipt"])
def test_a_page_whose_layer_outgrows_the_context_is_read_with_its_hint_cut(
    tmp_path: Path, schema: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    line = _long_layer_pdf(folder / "long.pdf")
    mode = "hint" if schema == "page_text" else "auto"
    with ChatServer(context_tokens=16_000) as server:
        run(
            [folder],
            tmp_path / "out",
            base_url=server.base_url,
            model="pixtral-12b-2409",
            context_tokens=16_000,
            text_layer=mode,
            schema_name=schema,
        )
        statuses = [r.status for r in server.requests]
        hints = [t for r in server.requests for t in r.texts if t.startswith("Text layer of")]
    # Sent once, within the context: never refused for its length.
    assert statuses == [200]
    (hint,) = hints
    assert hint.startswith(f"Text layer of image 1: {line.strip()}")
    assert "[text layer cut here:" in hint and len(hint) < 30_000
    dataset = "pages" if schema == "page_text" else "receipt"
    (row,) = pl.read_parquet(tmp_path / "out" / dataset).to_dicts()
    assert row["status"] == "ok"
    (cut,) = [w for w in row["warnings"] if w.startswith("text layer hint cut to fit")]
    assert cut.endswith(" characters") and row["confidence"] < 0.9
