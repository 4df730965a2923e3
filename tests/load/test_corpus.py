"""Every file of ../shared/corpus (pdfs and images) yields rows, and the run completes."""

import csv
from pathlib import Path

import polars as pl
import pytest
from chat_server import ChatServer
from harness import run

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

# Files that cannot yield a page, and what their error row must say.
EXPECTED_FILE_ERRORS = {
    "enc_libreoffice_user_pw.pdf": "password",
    "enc_r6_aes256_user_pw.pdf": "password",
    "enc_r6_saslprep_unicode_pw.pdf": "password",
    "enc_scanned_jbig2_jpx_pw.pdf": "password",
    "malformed_fuzzed_unopenable.pdf": "cannot open PDF",
    "malformed_not_a_pdf.pdf": "cannot open PDF",
    "zero_pages.pdf": "no pages",
    "png_broken.png": "cannot read",
}
# Files whose listed pages cannot be drawn, while their other pages can.
EXPECTED_PAGE_ERRORS = {
    ("malformed_page_tree_cycle.pdf", 2): "cycle in page tree",
    ("heic_truncated_2nd_image.heic", 2): "cannot decode",
    ("jpeg_truncated.jpg", 1): "truncated",
}


def test_every_corpus_file_yields_rows(corpus: Path, tmp_path: Path) -> None:
    folders = [corpus / "pdfs", corpus / "images"]
    files = sorted(
        p
        for folder in folders
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )
    with ChatServer() as server:
        summary, _ = run(
            folders, tmp_path / "out", base_url=server.base_url, model="pixtral-12b", concurrency=8
        )
    df = pl.scan_parquet(str(tmp_path / "out" / "pages" / "*.parquet")).collect()
    # Nothing disappears; `source` is the absolute path with links resolved (../shared may be one).
    assert set(df["source"].unique()) == {str(p.resolve()) for p in files}
    assert df.group_by("source", "page").len()["len"].max() == 1
    by_name = {Path(s).name: group for (s,), group in df.group_by("source")}
    for name, needle in EXPECTED_FILE_ERRORS.items():
        rows = by_name[name]
        assert rows.height == 1 and rows["status"][0] == "error" and rows["page"][0] is None
        assert needle in rows["error"][0], (name, rows["error"][0])
    for (name, page), needle in EXPECTED_PAGE_ERRORS.items():
        row = by_name[name].filter(pl.col("page") == page)
        assert row["status"][0] == "error" and needle in row["error"][0], (name, row["error"][0])
    errors = {
        (n, p) for n, g in by_name.items() for p in g.filter(pl.col("status") == "error")["page"]
    }
    not_documents = {p.name for p in files if p.suffix in (".txt", ".json", ".csv")}
    expected = {(n, None) for n in {*EXPECTED_FILE_ERRORS, *not_documents}}
    expected |= set(EXPECTED_PAGE_ERRORS)
    assert errors == expected  # every other page of the corpus was read and answered
    # Non-document files of the corpus folders are reported, not skipped.
    for text_file in ("manifest.csv", "doc_eurotext.txt"):
        assert "unsupported file type" in by_name[text_file]["error"][0]
    assert by_name["many_pages_155.pdf"].height == 155
    assert by_name["tiff_multipage_g4_fax_3pages.tiff"].height == 3
    assert by_name["anim_gif_42frames.gif"].height == 1
    assert summary.pages_ok == df.filter(pl.col("status") == "ok").height


def test_encrypted_pdfs_open_with_their_password(corpus: Path, tmp_path: Path) -> None:
    with (corpus / "pdfs" / "manifest.csv").open() as handle:
        passwords = {r["file"]: r["password"] for r in csv.DictReader(handle) if r["password"]}
    name = "enc_r6_aes256_user_pw.pdf"
    from flows.options.config import Secrets

    with ChatServer() as server:
        run(
            [corpus / "pdfs" / name],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            secrets=Secrets(password=passwords[name]),
            # This PDF prints its own password: its text layer would put it in the row. What
            # is checked is that the password given is never stored.
            text_layer="off",
        )
    df = pl.read_parquet(str(tmp_path / "out" / "pages" / "*.parquet"))
    assert df["status"].to_list() == ["ok"] and df["page"].to_list() == [1]
    assert passwords[name].encode() not in b"".join(
        p.read_bytes() for p in (tmp_path / "out" / "pages").glob("*.parquet")
    )
