"""What the benchmarks share: generated inputs, running the real CLI, and measuring memory.

Absolute times drift on a shared machine, so every figure is a ratio against a baseline
measured in the same run, side by side.
"""

import os
import random
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The shared corpus: $VISIONBATCH_CORPUS, else ../shared/corpus beside the repository.
CORPUS = Path(os.environ.get("VISIONBATCH_CORPUS") or REPO.parent / "shared" / "corpus")
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "support"))

# Before PyMuPDF: the pipeline keeps its optional companions out (extractors/__init__.py), and
# a baseline must render with the same library as the pipeline does.
# isort: off
import extractors  # noqa: E402, F401
import pymupdf  # noqa: E402

# isort: on

_WORDS = [
    "invoice",
    "total",
    "amount",
    "receipt",
    "payment",
    "tax",
    "subtotal",
    "quantity",
    "description",
    "merchant",
    "address",
    "date",
    "number",
    "account",
    "balance",
    "due",
    "customer",
    "order",
    "item",
    "shipping",
    "discount",
    "unit",
    "price",
    "vat",
]


def text_pdf(path: Path, pages: int, seed: int = 0) -> Path:
    """A letter-size PDF of dense text pages (about 700 words and a shaded box each)."""
    rng = random.Random(seed)
    document = pymupdf.open()
    try:
        for _ in range(pages):
            page = document.new_page(width=612, height=792)
            text = " ".join(rng.choice(_WORDS) for _ in range(700))
            page.insert_textbox(pymupdf.Rect(54, 54, 558, 738), text, fontsize=10)
            page.draw_rect(pymupdf.Rect(54, 600, 300, 700), color=(0, 0, 0.6), fill=(0.9, 0.9, 1))
        document.save(str(path), garbage=3, deflate=True)
    finally:
        document.close()
    return path


@dataclass(frozen=True)
class Measurement:
    """One line of the benchmark table: a figure, the baseline it is set against, the goal."""

    benchmark: str
    figure: str
    value: float
    baseline: float | None = None
    goal: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline


def print_measurements(lines: list[Measurement]) -> None:
    """One line per measurement: its figure, ratio and what was measured."""
    for line in lines:
        ratio = "-" if line.ratio is None else f"{line.ratio:.2f}"
        print(f"{line.benchmark} | {line.figure}: {ratio} ({line.note})")


def repeat_pdf(source: Path, path: Path, pages: int) -> Path:
    """A PDF of `pages` pages, made of `source`'s pages over and over (fonts shared)."""
    with pymupdf.open(str(source)) as original:
        document = pymupdf.open()
        try:
            while document.page_count < pages:
                last = min(original.page_count, pages - document.page_count) - 1
                document.insert_pdf(original, from_page=0, to_page=last)
            document.save(str(path), garbage=3, deflate=True)
        finally:
            document.close()
    return path


@dataclass
class CliRun:
    """One `visionbatch run` as a subprocess: its wall time and what it printed."""

    wall: float
    returncode: int
    stdout: str
    stderr: str
    peak_pss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    peak_prefect_server_mb: float = 0.0

    def figure(self, label: str) -> str | None:
        """A value of the CLI's summary table (rich box characters or not), or None."""
        match = re.search(rf"(?mi)^[\W_]*{re.escape(label)}[\s│┃|]+([\d][\d,.]*)", self.stdout)
        return match.group(1).replace(",", "") if match else None

    def number(self, label: str) -> float:
        value = self.figure(label)
        if value is None:
            raise RuntimeError(f"no {label!r} in the run's summary:\n{self.stdout}\n{self.stderr}")
        return float(value)

    def check(self) -> "CliRun":
        if self.returncode != 0:
            raise RuntimeError(f"visionbatch run exited {self.returncode}:\n{self.stderr[-3000:]}")
        return self


def run_cli(
    arguments: list[str],
    env: dict[str, str] | None = None,
    sample_memory: bool = False,
    no_endpoint: bool = False,
) -> CliRun:
    """`python -m flows run ARGUMENTS`, timed; with `sample_memory`, its process tree's peaks.

    `no_endpoint` leaves out any VISIONBATCH_* of this environment: the run then uses the
    embedded engine.
    """
    command = [sys.executable, "-m", "flows", "run", *arguments]
    inherited = {
        k: v for k, v in os.environ.items() if not (no_endpoint and k.startswith("VISIONBATCH_"))
    }
    # Prefect's temporary server per run, as measured so far, and none left running after.
    inherited.setdefault("VISIONBATCH_PREFECT_SERVER", "temporary")
    environment = {**inherited, "COLUMNS": "160", **(env or {})}
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = TreeMemory(process.pid) if sample_memory else None
    if sampler is not None:
        sampler.start()
    stdout, stderr = process.communicate()
    wall = time.monotonic() - started
    run = CliRun(wall, process.returncode, stdout, stderr)
    if sampler is not None:
        sampler.stop()
        run.peak_pss_mb, run.peak_rss_mb = sampler.peak_pss_mb, sampler.peak_rss_mb
        run.peak_prefect_server_mb = sampler.peak_prefect_server_mb
    return run


class TreeMemory(threading.Thread):
    """Samples a process and all its descendants every 50 ms; keeps the peaks of their sums.

    PSS (proportional set size) shares each page among the processes mapping it, so a sum over
    worker processes counts shared libraries once, where RSS sums would count them in each.
    Prefect's temporary API server (a uvicorn subprocess of the run) is Prefect's, not the
    pipeline's: it is kept apart, in `peak_prefect_server_mb`.
    """

    def __init__(self, pid: int, every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.every = every
        self.peak_pss_mb = 0.0  # the pipeline: the run's process and its render workers
        self.peak_rss_mb = 0.0  # the run's own process alone
        self.peak_prefect_server_mb = 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            pipeline = server = 0
            for pid in _tree(self.pid):
                pss_kb, rss_kb = _memory_kb(pid)
                if _is_prefect_server(pid):
                    server += pss_kb
                else:
                    pipeline += pss_kb
                if pid == self.pid:
                    self.peak_rss_mb = max(self.peak_rss_mb, rss_kb / 1024)
            self.peak_pss_mb = max(self.peak_pss_mb, pipeline / 1024)
            self.peak_prefect_server_mb = max(self.peak_prefect_server_mb, server / 1024)
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _tree(root: int) -> list[int]:
    """The process and its descendants, from /proc/PID/task/TID/children."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                todo.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:
                continue
    return found


def _is_prefect_server(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"uvicorn" in command and b"prefect" in command


def _memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in kB; zeros once it has gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    values = dict(re.findall(r"(?m)^(Pss|Rss):\s+(\d+) kB", text))
    return int(values.get("Pss", 0)), int(values.get("Rss", 0))
