"""Peak memory of `visionbatch ingest` on a 1 GB output file: ordinary lines, then one line
of 1 GB. Each case runs in a process of its own (peak RSS is per process).

    PYTHONPATH=. .venv/bin/python benchmarks/ingest_memory.py [--gb 1.0]

Ordinary lines: 10,000 answers of ~100 kB of page text each (synthetic lines added to the
page map of a real `--batch-file-only` plan), every one ingested into a row. One huge line:
the real plan's first answer, then one line for its second request padded to the size asked.
"""

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
# isort: off
from common import REPO
from batch_runs import batch_run
from batch_server.lines import answer_line, read_input
from markers import make_marked_pdf

from extractors.batch.lines import LineMap

# isort: on

TEXT_BYTES = 100_000


def _plan(folder: Path) -> tuple[Path, Path, list[dict[str, object]]]:
    make_marked_pdf(folder / "doc_1.pdf", 1, 2)
    out = folder / "out"
    batch_run([folder / "doc_1.pdf"], out, provider="vllm", batch_file_only=True, max_images=1)
    (input_file,) = (out / "batches").glob("*/input-0001.jsonl")
    answers = [
        answer_line(line, None, line.index + 1)[1] for line in read_input(input_file.read_bytes())
    ]
    return out, input_file, answers


def _ordinary(folder: Path, size: int) -> tuple[Path, Path]:
    """A plan grown to `size / TEXT_BYTES` one-page lines, and their output file."""
    out, input_file, answers = _plan(folder)
    map_path = input_file.with_name("input-0001.map.jsonl")
    template = LineMap.from_json(map_path.read_text().splitlines()[0])
    count = size // TEXT_BYTES
    body = answers[0]["response"]["body"]  # type: ignore[index]
    content = json.loads(body["choices"][0]["message"]["content"])
    output = folder / "ordinary.jsonl"
    with map_path.open("ab") as maps, output.open("w") as handle:
        for number in range(count):
            custom_id = f"synthetic-{number}"
            page = replace(template.pages[0], page=number + 3)
            maps.write(
                replace(
                    template, custom_id=custom_id, page_count=count + 2, pages=(page,)
                ).to_json()
            )
            content["pages"][0]["text"] = f"line {number} " + "lorem ipsum " * (TEXT_BYTES // 12)
            body["choices"][0]["message"]["content"] = json.dumps(content)
            handle.write(json.dumps({**answers[0], "custom_id": custom_id}) + "\n")
    return out, output


def _huge(folder: Path, size: int) -> tuple[Path, Path]:
    out, _, answers = _plan(folder)
    output = folder / "huge.jsonl"
    with output.open("w") as handle:
        handle.write(json.dumps(answers[0]) + "\n")
        handle.write('{"custom_id": "' + str(answers[1]["custom_id"]) + '", "pad": "')
        piece = "z" * 1_000_000
        handle.writelines(piece for _ in range(size // len(piece)))
        handle.write('"}\n')
    return out, output


def measure(case: str, size: int) -> None:
    from flows.commands.ingest import ingest_outputs

    with tempfile.TemporaryDirectory(dir=REPO.parent) as tmp:
        out, output = (_ordinary if case == "ordinary" else _huge)(Path(tmp), size)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        started = time.perf_counter()
        outcome = asyncio.run(ingest_outputs(out, [output]))
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        summary = outcome.summary
        print(
            f"{case}: {output.stat().st_size / 1e9:.2f} GB, {summary.pages_ok:,} ok, "
            f"{summary.pages_error:,} errors, skipped {dict(outcome.tallies[0].counts)}; "
            f"peak Python allocations {peak / 1e6:.1f} MB; peak RSS {rss / 1e3:.0f} MB "
            f"({before / 1e3:.0f} MB before ingesting); {seconds:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=1.0)
    parser.add_argument("--case", choices=["ordinary", "huge"])
    args = parser.parse_args()
    size = int(args.gb * 1e9)
    if args.case:
        measure(args.case, size)
        return
    for case in ("ordinary", "huge"):
        subprocess.run([sys.executable, __file__, "--case", case, "--gb", str(args.gb)], check=True)


if __name__ == "__main__":
    main()
