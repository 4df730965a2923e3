"""`visionbatch eval DIR --truth FOLDER`: receipt fields against SROIE-style ground truth."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from flows.terminal.text import say, say_error


def evaluate_fields(
    out: Annotated[Path, typer.Argument(help="Output directory of a --schema receipt run.")],
    truth: Annotated[
        Path,
        typer.Option(
            "--truth", metavar="DIR", help="Folder of ground-truth JSON files (SROIE style)."
        ),
    ],
    schema: Annotated[str, typer.Option(help="Dataset under OUT to evaluate.")] = "receipt",
    show_misses: Annotated[int, typer.Option(min=0, metavar="N", help="Misses to list.")] = 30,
) -> None:
    """Compare extracted receipt fields with ground truth: accuracy per field, and the misses."""
    from extractors.report.evaluation import evaluate, load_truth
    from extractors.sink.store import read_rows

    dataset = out / schema
    rows = read_rows(dataset)
    if not rows:
        say_error(f"no rows in {dataset}")
        raise typer.Exit(1)
    report = evaluate(rows, load_truth(truth))
    if not report.receipts:
        say_error(f"no document in {dataset} has a truth file in {truth}")
        raise typer.Exit(1)
    console = Console()
    from flows.terminal.display import evaluation_lines, evaluation_table, misses_table

    for line in evaluation_lines(report):
        say(line)
    console.print(evaluation_table(report))
    if report.misses and show_misses:
        console.print(misses_table(report, show_misses))
