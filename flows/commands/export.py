"""`visionbatch export DIR --markdown OUTDIR`: one Markdown file per document, for RAG."""

from pathlib import Path
from typing import Annotated

import typer

from flows.terminal.text import say, say_error


def export(
    out: Annotated[
        Path, typer.Argument(metavar="DIR", help="Output directory of a page_text run.")
    ],
    markdown: Annotated[
        Path,
        typer.Option(
            "--markdown",
            metavar="OUTDIR",
            help="Write one .md per document here (named after its file; -2, -3 on a clash): "
            "pages in order after <!-- page N --> markers, error pages marked as errors.",
        ),
    ],
) -> None:
    """Export DIR: each document's current pages as one Markdown file, for RAG pipelines."""
    from extractors.errors import VisionbatchError
    from extractors.report.export import export_markdown

    try:
        documents = export_markdown(out, markdown)
    except (VisionbatchError, OSError) as exc:
        say_error(exc)
        raise typer.Exit(1) from None
    pages = sum(document.pages for document in documents)
    errors = sum(document.error_pages for document in documents)
    noun = "file" if len(documents) == 1 else "files"
    say(
        f"wrote {len(documents)} Markdown {noun} to {markdown}: {pages} pages, {errors} with errors"
    )
