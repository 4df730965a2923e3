"""One Markdown file per document from a page dataset (`DIR/pages/`), for RAG pipelines.

Each file holds the standing row of every page (the rule the report and compaction apply), in
page order, each after a `<!-- page N -->` marker; a page with no result is its marker with the
error (`<!-- page 3: error (endpoint): ... -->`), so a reader knows what is missing and why.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import polars as pl

from extractors.errors import ReportError
from extractors.report.frames import current_outcomes, scan_parts
from extractors.sink.store import part_files

PAGES_DATASET = "pages"
_COLUMNS = ("source", "source_sha256", "page", "status", "text", "error", "error_category")
# What a file name may not hold on the common filesystems; runs of it become one "_".
_UNSAFE = re.compile(r'[\x00-\x1f<>:"/\\|?*]+')


@dataclass(frozen=True)
class ExportedDocument:
    """A document written as Markdown: where from, where to, and what it holds."""

    source: str
    path: Path
    pages: int
    error_pages: int


def export_markdown(out_dir: Path, target: Path) -> list[ExportedDocument]:
    """Write `target/<name>.md` for every document of `out_dir/pages/`, sources in order."""
    files = part_files(out_dir / PAGES_DATASET) if (out_dir / PAGES_DATASET).is_dir() else []
    if not files:
        raise ReportError(
            f"nothing to export in {out_dir}: {out_dir / PAGES_DATASET} holds no part files "
            "(Markdown is exported from page_text runs)"
        )
    rows = standing_rows(files)
    target.mkdir(parents=True, exist_ok=True)
    exported = []
    for (source, pages), name in zip(_documents(rows), _file_names(rows), strict=True):
        path = target / f"{name}.md"
        path.write_text(document_markdown(source, pages), encoding="utf-8")
        errors = pages.filter(pl.col("status") != "ok").height
        exported.append(ExportedDocument(source, path, pages.height, errors))
    return exported


def standing_rows(files: list[Path]) -> pl.DataFrame:
    """The row standing for each page, sorted by source and page (a whole-file error first)."""
    scan = scan_parts(files)
    names = scan.collect_schema().names()
    missing = [name for name in _COLUMNS if name not in names]
    if missing:
        raise ReportError(f"{files[0].parent} is not a page dataset: no {', '.join(missing)}")
    ordered = scan.select(*_COLUMNS, "extracted_at").sort("extracted_at", maintain_order=True)
    standing = current_outcomes(ordered.collect())
    return standing.sort("source", "page", nulls_last=False, maintain_order=True)


def document_markdown(source: str, pages: pl.DataFrame) -> str:
    """A document's pages in order, each after its marker; error pages as marked errors."""
    parts = [_comment(f"source: {source}")]
    for row in pages.iter_rows(named=True):
        parts.append(_page_markdown(row))
    return "\n\n".join(parts) + "\n"


def _page_markdown(row: dict) -> str:
    where = "document" if row["page"] is None else f"page {row['page']}"
    if row["status"] != "ok":
        return _comment(f"{where}: error ({row['error_category']}): {row['error']}")
    text = (row["text"] or "").strip()
    return _comment(where) + ("\n\n" + text if text else "")


def _comment(text: str) -> str:
    """An HTML comment, which Markdown renderers hide and splitters can find; `--` cannot end it
    early."""
    return "<!-- " + " ".join(text.replace("--", "- -").split()) + " -->"


def _documents(rows: pl.DataFrame) -> Iterator[tuple[str, pl.DataFrame]]:
    for (source,), pages in rows.group_by("source", maintain_order=True):
        yield str(source), pages


def _file_names(rows: pl.DataFrame) -> list[str]:
    """Each document's file name: its source's name without suffix, made unique by `-2`, `-3`
    in source order (compared without case, for filesystems that ignore it)."""
    taken: set[str] = set()
    names = []
    for source in rows["source"].unique(maintain_order=True).to_list():
        stem = _UNSAFE.sub("_", PurePosixPath(source.rstrip("/")).stem).strip(". ") or "document"
        name, number = stem, 1
        while name.lower() in taken:
            number += 1
            name = f"{stem}-{number}"
        taken.add(name.lower())
        names.append(name)
    return names
