"""The fault-mix figures of the pipeline, measured through the real CLI and flow.

200 pages (ten 12-page PDFs plus 80 images, `make_fault_mix_inputs` of tests/support/fault_mix.py)
against the test chat-completions server on 127.0.0.1 (300 ms latency per request, seed 7),
`--concurrency 16 --timeout 2` (so the server's 3-second hangs time out), with the pipeline's
real retry backoff. Run once fault-free, once with `FAULT_MIX` (10% 429, 5% 5xx, 2% hangs,
2% resets, 5% bad answers, 20% shuffled / missing / duplicated items), then the fault-mix
command again on the same --out (a rerun).

Prints: faults injected (total and by kind, from the server's records), retries (the server's
count: requests answered with a non-200 status or not answered at all; and the pipeline's own
"retries" and "requests" from the CLI's summary table), pages ok, pages lost (200 minus the
distinct (source, page) rows with status ok), pages in error (with their error messages), rows
per (source, page) beyond one, the wall time of each run (with Prefect start-up) and the ratio
fault-mix / fault-free, then what the rerun sent and the final ok count.

    .venv/bin/python benchmarks/faults.py
    .venv/bin/python benchmarks/faults.py --seeds 12   # the stages alone, over 12 fault draws

`--seeds N` runs the stages without Prefect (`tests/harness.run`, retries waiting milliseconds,
server latency 20 ms, `--timeout 1`) over N seeds of the same fault mix and prints, per seed,
pages ok and in error, retries and the lowest in-flight limit.
"""

import collections
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "support"))

from chat_server import ChatServer, RecordedRequest  # noqa: E402
from common import CliRun as SummaryRun  # noqa: E402
from fault_mix import FAULT_MIX, make_fault_mix_inputs  # noqa: E402
from markers import encode_value  # noqa: E402

LATENCY = 0.3
SEED = 7


@dataclass
class CliRun(SummaryRun):
    def row(self, label: str) -> str | None:
        """The whole value cell of a summary-table row, as printed."""
        match = re.search(rf"(?mi)^[\W_]*{re.escape(label)}\s*[│┃|]\s*(.+?)\s*[│┃|]?$", self.stdout)
        return match.group(1) if match else None


def command_line(inputs: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "flows",
        "run",
        str(inputs),
        "--out",
        str(out),
        "--model",
        "pixtral-12b-2409",
        "--concurrency",
        "16",
        "--timeout",
        "2",
    ]


def run_cli(inputs: Path, out: Path, base_url: str) -> CliRun:
    env = {
        **os.environ,
        "VISIONBATCH_BASE_URL": base_url,
        "VISIONBATCH_API_KEY": "local-test-key",
        "COLUMNS": "160",  # keeps the summary table's rows on one line each
    }
    started = time.monotonic()
    done = subprocess.run(
        command_line(inputs, out), cwd=REPO, env=env, capture_output=True, text=True
    )
    wall = time.monotonic() - started
    if done.returncode != 0:
        print(f"!! CLI exited with {done.returncode}; stderr tail:", file=sys.stderr)
        print("\n".join(done.stderr.splitlines()[-20:]), file=sys.stderr)
    return CliRun(wall, done.returncode, done.stdout, done.stderr)


def fault_spec(record: RecordedRequest) -> str | None:
    fault = record.fault
    if fault is None:
        return None
    if fault.kind == "status":
        return f"status:{fault.code}"
    if fault.kind == "hang":
        return f"hang:{fault.seconds:g}"
    return fault.kind


@dataclass
class Figures:
    name: str
    cli: CliRun
    requests: int
    faults: collections.Counter[str]
    not_200: collections.Counter[str]
    rows: int
    ok: int
    lost: int
    error_pages: int
    duplicate_rows: int
    errors: list[tuple[str, int, str, str]]


def measure(name: str, cli: CliRun, server: ChatServer, out: Path, pages: int) -> Figures:
    records = list(server.requests)
    faults = collections.Counter(s for r in records if (s := fault_spec(r)) is not None)
    not_200 = collections.Counter(
        "no answer" if r.status is None else str(r.status) for r in records if r.status != 200
    )
    df = pl.read_parquet(str(out / "pages" / "*.parquet"))
    ok_pages = df.filter(pl.col("status") == "ok").select("source", "page").unique().height
    bad = df.filter(pl.col("status") != "ok")
    counts = df.group_by("source", "page").len()
    return Figures(
        name=name,
        cli=cli,
        requests=len(records),
        faults=faults,
        not_200=not_200,
        rows=df.height,
        ok=ok_pages,
        lost=pages - ok_pages,
        error_pages=bad.select("source", "page").unique().height,
        duplicate_rows=int((counts["len"] - 1).clip(lower_bound=0).sum()),
        errors=[
            (
                name := Path(row["source"]).name,
                row["page"],
                str(row["error"]),
                history(records, name, row["page"]),
            )
            for row in bad.select("source", "page", "error").iter_rows(named=True)
        ],
    )


def history(records: list[RecordedRequest], name: str, page: int) -> str:
    """What the server did with the requests that carried this page (doc_N / img_N files).

    The server decodes a request's images only when it answers it: attempts ended by a status
    fault, a reset or a hang are not listed.
    """
    match = re.search(r"_(\d+)\.", name)
    if match is None:
        return "?"
    value = encode_value(int(match.group(1)), page)
    seen = sorted((r for r in records if value in r.marker_values), key=lambda r: r.started_at)
    return ", ".join(
        f"{r.status if r.status is not None else 'no answer'}/{fault_spec(r) or 'ok'}" for r in seen
    )


def print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        first = row[0].ljust(widths[0])
        rest = "  ".join(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
        print(f"  {first}  {rest}")
        if index == 0:
            print("  " + "-" * (sum(widths) + 2 * (len(widths) - 1)))


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        inputs = Path(scratch) / "in"
        clean_out, faulty_out = Path(scratch) / "out-clean", Path(scratch) / "out-faults"
        pages = make_fault_mix_inputs(inputs)
        print("command:", shlex.join(command_line(inputs, Path("OUT"))))
        print(
            f"pages: {pages}; server latency {LATENCY} s, seed {SEED}; env VISIONBATCH_BASE_URL"
            " = the local test server"
        )

        with ChatServer(latency=LATENCY, seed=SEED) as server:
            clean_cli = run_cli(inputs, clean_out, server.base_url)
            clean = measure("fault-free", clean_cli, server, clean_out, pages)

            server.reset_stats()
            server.seed = SEED  # restarts the fault draws
            server.fault_rates = FAULT_MIX
            faulty_cli = run_cli(inputs, faulty_out, server.base_url)
            faulty = measure("fault mix", faulty_cli, server, faulty_out, pages)

            server.reset_stats()
            rerun_cli = run_cli(inputs, faulty_out, server.base_url)
            rerun = measure("rerun", rerun_cli, server, faulty_out, pages)

        runs = (clean, faulty, rerun)

        print("\nFaults injected in the fault-mix run (server records):")
        kinds = [("kind", "rate", "injected")]
        for spec, rate in FAULT_MIX.items():
            kinds.append((spec, f"{rate:.0%}", str(faulty.faults.get(spec, 0))))
        kinds.append(("total", f"{sum(FAULT_MIX.values()):.0%}", str(faulty.faults.total())))
        print_table(kinds)
        print(f"  (of {faulty.requests} requests; rerun injected {rerun.faults.total()})")

        def cell(value: object) -> str:
            return "-" if value is None else str(value)

        print("\nFigures:")
        table: list[tuple[str, ...]] = [("", *(r.name for r in runs))]
        table += [
            ("CLI exit code", *(str(r.cli.returncode) for r in runs)),
            ("requests at the server", *(str(r.requests) for r in runs)),
            ("faults injected", *(str(r.faults.total()) for r in runs)),
            (
                "retried at the server (non-200 / no answer)",
                *(str(r.not_200.total()) for r in runs),
            ),
            ("pipeline 'requests' (CLI table)", *(cell(r.cli.figure("requests")) for r in runs)),
            ("pipeline 'retries' (CLI table)", *(cell(r.cli.figure("retries")) for r in runs)),
            ("pipeline 'pages ok' (CLI table)", *(cell(r.cli.figure("pages ok")) for r in runs)),
            ("rows in OUT/pages", *(str(r.rows) for r in runs)),
            ("pages ok (distinct source, page)", *(str(r.ok) for r in runs)),
            ("pages lost (expected 0)", *(str(r.lost) for r in runs)),
            ("pages in error", *(str(r.error_pages) for r in runs)),
            ("duplicate rows (expected 0)", *(str(r.duplicate_rows) for r in runs)),
            ("wall time, s (with Prefect start-up)", *(f"{r.cli.wall:.1f}" for r in runs)),
            ("wall time, s (CLI table)", *(cell(r.cli.figure("wall time")) for r in runs)),
        ]
        print_table(table)
        print(
            "\n  non-200 answers by status, fault-mix run: "
            + ", ".join(f"{k}: {v}" for k, v in sorted(faulty.not_200.items()))
        )
        print(f"  wall time ratio fault mix / fault-free: {faulty.cli.wall / clean.cli.wall:.2f}")
        clean_pipeline, faulty_pipeline = (
            clean.cli.figure("wall time"),
            faulty.cli.figure("wall time"),
        )
        if clean_pipeline and faulty_pipeline and float(clean_pipeline) > 0:
            print(
                "  same ratio from the CLI's own wall time (no start-up): "
                f"{float(faulty_pipeline) / float(clean_pipeline):.2f}"
            )
        print(f"  fault-mix run's in-flight limit: {faulty.cli.row('concurrency')}")
        print(
            f"  rerun on the same --out: sent {rerun.requests} requests; final pages ok "
            f"{rerun.ok} / {pages}"
        )
        for run in runs:
            for source, page, error, seen in run.errors[:20]:
                print(f"  {run.name}: error row {source} p{page}: {error}")
                print(f"    requests the server decoded with that page (status/fault): {seen}")


def sweep_seeds(count: int) -> None:
    from harness import run

    with tempfile.TemporaryDirectory() as scratch:
        inputs = Path(scratch) / "in"
        pages = make_fault_mix_inputs(inputs)
        print(f"{pages} pages, server latency 20 ms, --concurrency 16 --timeout 1, fast backoff")
        print("  seed  pages ok  pages error  retries  lowest in-flight limit")
        for seed in range(1, count + 1):
            out = Path(scratch) / f"out-{seed}"
            with ChatServer(latency=0.02, fault_rates=FAULT_MIX, seed=seed) as server:
                summary, session = run(
                    [inputs], out, base_url=server.base_url, model="m", concurrency=16, timeout=1.0
                )
            lowest = session.pool.gate.current_report().concurrency.lowest
            print(
                f"  {seed:4}  {summary.pages_ok:8}  {summary.pages_error:11}"
                f"  {session.pool.stats.retries:7}  {lowest:22}"
            )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--seeds":
        sweep_seeds(int(sys.argv[2]))
    else:
        main()
