"""The progress bar's page total counts only the pages `--pages` selects."""

from pathlib import Path

import pymupdf

from extractors.discover.page_count import count_pages
from extractors.discover.page_ranges import parse_page_ranges


def _pdf(path: Path, pages: int) -> None:
    document = pymupdf.open()
    for _ in range(pages):
        document.new_page().insert_text((72, 72), "page")
    document.save(path)


def test_the_total_counts_the_selected_pages_of_each_file(tmp_path: Path) -> None:
    _pdf(tmp_path / "six.pdf", 6)
    _pdf(tmp_path / "two.pdf", 2)
    assert count_pages([tmp_path]) == 8
    # 1-2 and the last page: 3 of six.pdf, 2 of two.pdf (its last page is page 2 already).
    assert count_pages([tmp_path], pages=parse_page_ranges("1-2,-1")) == 5
    assert count_pages([tmp_path], pages=parse_page_ranges("3-")) == 4
