"""Every benchmark in one command: a table of ratios measured side by side in this run.

    .venv/bin/python benchmarks/run_all.py            # print the table (about 4 minutes)
    .venv/bin/python benchmarks/run_all.py --write    # and rewrite BENCHMARKS.md and its chart

Each ratio sets a figure against a baseline measured in the same run on the same machine, so
it holds where absolute times drift. The corpus benchmarks (bytes, tokens, embedded engine)
need ../shared/corpus beside the repository and say "skipped" without it.
"""

import argparse
import platform
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import engine
import memory
import ocr_quality
import orientation
import prep
import receipt_fields
import saturation
import text_layer
import tokens
from common import REPO, Measurement

from extractors.load.worker import available_cores

CHART = REPO / "benchmarks" / "results.png"
REPORT = REPO / "BENCHMARKS.md"


def run(selected: Sequence[str]) -> tuple[list[Measurement], dict[str, float]]:
    """All measurements, and how long each benchmark took."""
    benchmarks: dict[str, Callable[[Path], list[Measurement]]] = {
        "prep": prep.measure,
        "saturation": saturation.measure,
        "memory": memory.measure,
        "tokens": lambda _: tokens.measure(),
        "text_layer": text_layer.measure,
        "orientation": lambda _: orientation.measure(),
        "ocr_quality": lambda _: ocr_quality.measure(),
        "receipt_fields": lambda _: receipt_fields.measure(),
        "engine": engine.measure,
    }
    lines: list[Measurement] = []
    took: dict[str, float] = {}
    for name, benchmark in benchmarks.items():
        if selected and name not in selected:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        started = time.monotonic()
        with tempfile.TemporaryDirectory() as scratch:
            lines.extend(benchmark(Path(scratch)))
        took[name] = time.monotonic() - started
    return lines, took


def table(lines: Sequence[Measurement]) -> str:
    rows = ["| benchmark | figure | ratio | goal | met | measured |", "|---|---|---|---|---|---|"]
    for line in lines:
        ratio = "-" if line.ratio is None else f"{line.ratio:.2f}"
        met = {True: "yes", False: "**no**", None: ""}[line.met]
        rows.append(
            f"| {line.benchmark} | {line.figure} | {ratio} | {line.goal} | {met} | {line.note} |"
        )
    return "\n".join(rows)


def chart(lines: Sequence[Measurement], path: Path) -> None:
    """Each ratio as a bar, its goal as a mark; green when met, red when not, grey: no goal."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [line for line in lines if line.ratio is not None]
    figure, axes = plt.subplots(figsize=(9, 0.55 * len(shown) + 1.4))
    labels = [f"{line.benchmark}: {line.figure}" for line in shown]
    colours = [{True: "#2e7d32", False: "#c62828", None: "#9e9e9e"}[x.met] for x in shown]
    positions = range(len(shown))
    axes.barh(positions, [line.ratio or 0 for line in shown], color=colours)
    for position, line in zip(positions, shown, strict=True):
        axes.text((line.ratio or 0) + 0.02, position, f"{line.ratio:.2f}", va="center")
        goal = _goal_value(line.goal)
        if goal is not None:
            axes.plot([goal, goal], [position - 0.4, position + 0.4], color="black", lw=2)
    axes.set_yticks(list(positions), labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel("ratio (black mark: the goal)")
    axes.set_title(f"visionbatch benchmarks, {available_cores()} cores, ratios in one run")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _goal_value(goal: str) -> float | None:
    match = re.search(r"[<>]=\s*([\d.]+)", goal)
    return float(match.group(1)) if match else None


def report(lines: Sequence[Measurement], took: dict[str, float]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{available_cores()} cores, Python {platform.python_version()}, {platform.system()}"
    seconds = ", ".join(f"{name} {value:.0f} s" for name, value in took.items())
    return (
        "# Benchmarks\n\n"
        "Written by `.venv/bin/python benchmarks/run_all.py --write` "
        f"({when}; {machine}; {seconds}).\n"
        "Every ratio sets a figure against a baseline measured in the same run: absolute times\n"
        "drift on a shared machine, ratios hold. How each is measured is in the docstring of\n"
        "its script in `benchmarks/`; what limits the ones not met is below the table.\n\n"
        f"{table(lines)}\n\n![ratios against their goals](benchmarks/{CHART.name})\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite BENCHMARKS.md's table")
    parser.add_argument("only", nargs="*", help="prep, saturation, memory, tokens, engine")
    arguments = parser.parse_args()
    lines, took = run(arguments.only)
    print(table(lines))
    if arguments.write:
        chart(lines, CHART)
        notes = _kept_notes(REPORT)
        REPORT.write_text(report(lines, took) + notes)
        print(f"wrote {REPORT.name} and {CHART.relative_to(REPO)}", file=sys.stderr)


def _kept_notes(path: Path) -> str:
    """The hand-written part of BENCHMARKS.md (from "## What limits"), kept on rewrites."""
    if not path.exists():
        return ""
    text = path.read_text()
    start = text.find("\n## ")
    return text[start:] if start >= 0 else ""


if __name__ == "__main__":
    main()
