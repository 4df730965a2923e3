"""`visionbatch export DIR --markdown OUTDIR`: one Markdown file per document, from the dataset."""

import re
import shutil
from pathlib import Path

import polars as pl
import pymupdf
import typer
from chat_server import ChatServer
from harness import run
from repo_paths import SAMPLES
from typer.testing import CliRunner

from extractors.report.export import document_markdown, standing_rows
from extractors.sink.store import part_files
from flows.commands.export import export


def cli_app() -> typer.Typer:
    """An app with the command registered as flows/commands/cli.py registers it."""
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Keep `export` a subcommand, as in the real CLI."""

    app.command("export")(export)
    return app


_MARKER = re.compile(r"^<!-- (page \d+|document)\b.*-->$", re.MULTILINE)


def _notes_pdf(path: Path) -> Path:
    document = pymupdf.open()
    for n in (1, 2):
        page = document.new_page()
        page.insert_text((72, 80), f"Notes part {n}", fontsize=24)
        page.insert_text((72, 120), f"The second letter, page {n}, with its own words.")
    document.save(path)
    document.close()
    return path


def _dataset(tmp_path: Path) -> Path:
    """A run over the three-page letter, another `letter.pdf` elsewhere, and a broken file."""
    for folder in ("a", "b"):
        (tmp_path / "in" / folder).mkdir(parents=True)
    shutil.copy(SAMPLES / "letter_3pages.pdf", tmp_path / "in" / "a" / "letter.pdf")
    _notes_pdf(tmp_path / "in" / "b" / "letter.pdf")
    (tmp_path / "in" / "b" / "broken.pdf").write_bytes(b"%PDF-1.7 nothing else")
    out = tmp_path / "out"
    with ChatServer() as server:
        run([tmp_path / "in"], out, base_url=server.base_url, model="m")
    return out


def test_export_writes_one_file_per_document_with_pages_in_order(tmp_path: Path) -> None:
    out = _dataset(tmp_path)
    rows = pl.read_parquet(out / "pages")
    assert rows.height == 6 and set(rows["text_format"].drop_nulls()) == {"markdown"}
    result = CliRunner().invoke(cli_app(), ["export", str(out), "--markdown", str(tmp_path / "md")])
    assert result.exit_code == 0, result.output
    assert "wrote 3 Markdown files" in result.output and ": 6 pages, 1 with errors" in result.output
    files = sorted(p.name for p in (tmp_path / "md").iterdir())
    assert files == ["broken.md", "letter-2.md", "letter.md"]
    first = (tmp_path / "md" / "letter.md").read_text()
    assert first.startswith(f"<!-- source: {tmp_path / 'in' / 'a' / 'letter.pdf'} -->")
    assert _MARKER.findall(first) == ["page 1", "page 2", "page 3"]
    assert "Harborview Office Interiors" in first
    second = (tmp_path / "md" / "letter-2.md").read_text()
    assert _MARKER.findall(second) == ["page 1", "page 2"]
    assert second.index("# Notes part 1") < second.index("# Notes part 2")
    broken = (tmp_path / "md" / "broken.md").read_text()
    assert re.search(r"^<!-- document: error \(source\): .+ -->$", broken, re.MULTILINE)


def test_only_the_standing_row_of_a_page_is_exported_and_errors_are_marked(
    tmp_path: Path,
) -> None:
    out = _dataset(tmp_path)
    rows = standing_rows(part_files(out / "pages"))
    source = str(tmp_path / "in" / "b" / "letter.pdf")
    pages = rows.filter(pl.col("source") == source)
    # A newer row of page 2 (failed, say, on a later run) stands in place of the older one.
    failed = pages.filter(pl.col("page") == 2).with_columns(
        status=pl.lit("error"),
        text=None,
        error=pl.lit("endpoint failed -->"),
        error_category=pl.lit("endpoint"),
    )
    markdown = document_markdown(source, pl.concat([pages.filter(pl.col("page") == 1), failed]))
    assert _MARKER.findall(markdown) == ["page 1", "page 2"]
    assert "<!-- page 2: error (endpoint): endpoint failed - -> -->" in markdown
    assert "Notes part 2" not in markdown


def test_export_of_a_folder_without_page_rows_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli_app(), ["export", str(tmp_path), "--markdown", str(tmp_path / "md")]
    )
    assert result.exit_code == 1
    assert "visionbatch: error: nothing to export" in result.output
    assert not (tmp_path / "md").exists()
