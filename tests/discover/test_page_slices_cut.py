"""Cutting long documents into page slices, and shards that keep each slice on its own."""

from pathlib import Path

import pymupdf
from hypothesis import given
from hypothesis import strategies as st

from extractors.discover.files import shards
from extractors.discover.local_walk import FoundInput, PageSlice, RefusedInput
from extractors.discover.page_ranges import PageRanges, parse_page_ranges
from extractors.discover.page_slices import SlicingOptions, slices_of, spread_long_documents


def _pdf(path: Path, pages: int) -> str:
    document = pymupdf.open()
    for number in range(1, pages + 1):
        document.new_page().insert_text((72, 72), f"page {number}")
    document.save(str(path))
    document.close()
    return str(path)


def _pages(found: FoundInput) -> tuple[int, ...]:
    assert isinstance(found, PageSlice), found
    return found.pages.of(found.page_count)


def test_a_long_document_is_cut_in_even_slices_that_cover_each_page_once() -> None:
    sliced = slices_of("long.pdf", 2000, SlicingOptions(max_pages=200))
    assert [_pages(s) for s in sliced] == [
        tuple(range(start, start + 200)) for start in range(1, 2001, 200)
    ]
    assert [(s.part, s.parts) for s in sliced if isinstance(s, PageSlice)] == [
        (n, 10) for n in range(1, 11)
    ]
    assert [s.closes_document for s in sliced if isinstance(s, PageSlice)] == [False] * 9 + [True]
    # Even slices: not 200 pages and a lone one.
    assert [len(_pages(s)) for s in slices_of("a.pdf", 201, SlicingOptions(200))] == [101, 100]


def test_a_document_whose_pages_fit_in_one_slice_stays_whole() -> None:
    assert slices_of("short.pdf", 200, SlicingOptions(max_pages=200)) == ["short.pdf"]
    # 1,000 pages, of which --pages selects 5: nothing to spread.
    assert slices_of("big.pdf", 1000, SlicingOptions(10, parse_page_ranges("1-5"))) == ["big.pdf"]


def test_slices_hold_the_pages_that_pages_selects_in_even_shares() -> None:
    selection = parse_page_ranges("3-9,-4")  # of 23 pages: 3..9 and 20..23, 11 pages
    sliced = slices_of("doc.pdf", 23, SlicingOptions(5, selection))
    assert [_pages(s) for s in sliced] == [(3, 4, 5, 6), (7, 8, 9, 20), (21, 22, 23)]
    second = sliced[1]
    assert isinstance(second, PageSlice)
    assert second.pages == PageRanges(((7, 9), (20, 20)))
    assert second.shown == "doc.pdf (pages 7-20)"


def test_spreading_slices_long_local_pdfs_and_hands_on_everything_else(tmp_path: Path) -> None:
    long, short = _pdf(tmp_path / "long.pdf", 7), _pdf(tmp_path / "short.pdf", 3)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 not really")
    refused = RefusedInput("fifo", "not a regular file: FIFO")
    found: list[FoundInput] = [short, long, refused, str(broken), "s3://bucket/long.pdf"]
    spread = list(spread_long_documents(found, SlicingOptions(max_pages=3)))
    assert spread[0] == short and spread[4:] == [refused, str(broken), "s3://bucket/long.pdf"]
    assert [(s.location, _pages(s)) for s in spread[1:4] if isinstance(s, PageSlice)] == [
        (long, (1, 2, 3)),
        (long, (4, 5)),
        (long, (6, 7)),
    ]
    # No options (a document schema): nothing is sliced, nothing is opened.
    assert list(spread_long_documents(found, None)) == found


def test_a_protected_pdf_is_sliced_only_with_its_password(tmp_path: Path) -> None:
    document = pymupdf.open()
    for _ in range(4):
        document.new_page()
    path = tmp_path / "locked.pdf"
    document.save(str(path), encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="pw", owner_pw="o")
    document.close()
    assert list(spread_long_documents([str(path)], SlicingOptions(2))) == [str(path)]
    with_password = list(spread_long_documents([str(path)], SlicingOptions(2, password="pw")))
    assert [_pages(s) for s in with_password] == [(1, 2), (3, 4)]


def test_each_slice_is_a_shard_of_its_own_between_groups_of_files() -> None:
    one, two = (
        PageSlice("long.pdf", PageRanges(((n, n + 1),)), 4, p, 2) for n, p in ((1, 1), (3, 2))
    )
    found: list[FoundInput] = ["a", "b", "c", one, two, "d", "e", "f"]
    assert list(shards(found, 2)) == [["a", "b"], ["c"], [one], [two], ["d", "e"], ["f"]]


@given(page_count=st.integers(1, 3000), max_pages=st.integers(1, 400))
def test_slices_cover_every_page_once_in_near_equal_shares(page_count: int, max_pages: int) -> None:
    sliced = slices_of("doc.pdf", page_count, SlicingOptions(max_pages))
    if page_count <= max_pages:
        assert sliced == ["doc.pdf"]
        return
    sizes = [len(_pages(s)) for s in sliced]
    assert sum((_pages(s) for s in sliced), ()) == tuple(range(1, page_count + 1))
    assert max(sizes) <= max_pages and max(sizes) - min(sizes) <= 1
