"""Reading a run's page rows back and checking each marked page got its own text, once."""

from pathlib import Path

import polars as pl
from markers import encode_value, expected_text


def read_pages(out: Path) -> pl.DataFrame:
    return pl.scan_parquet(str(out / "pages" / "**" / "*.parquet")).collect()


def expected_by_page(df: pl.DataFrame) -> None:
    """Every ok row carries the text of its own page's marker: never a wrong page's text."""
    for source, page, text in (
        df.filter(pl.col("status") == "ok").select("source", "page", "text").iter_rows()
    ):
        doc_id = int(Path(source).stem.split("_")[-1])
        assert text == expected_text(encode_value(doc_id, page)), (source, page, text)


def assert_every_page_once_ok(out: Path, pages: int) -> pl.DataFrame:
    df = read_pages(out)
    assert df.height == pages
    assert df.group_by("source", "page").len()["len"].max() == 1
    assert df["status"].unique().to_list() == ["ok"], df.filter(pl.col("status") != "ok")
    expected_by_page(df)
    return df
