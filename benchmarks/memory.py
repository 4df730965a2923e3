"""Peak memory of a run over a 1,000-page PDF against a 100-page one, through the real CLI.

Both PDFs are dense text letter pages; the test server answers at once (`--concurrency 16`).
Memory is sampled every 50 ms as PSS summed over the run's process and its render workers (PSS
counts pages shared between processes once). Prefect's temporary API server, a subprocess of
the run, is Prefect's and shown apart.

    .venv/bin/python benchmarks/memory.py
"""

import shutil
import sys
import tempfile
from pathlib import Path

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import Measurement, print_measurements, repeat_pdf, run_cli, text_pdf

# isort: split

from chat_server import ChatServer

LIMIT_MB = 500


def _peak(pdf: Path, out: Path, pages: int) -> tuple[float, float, float]:
    """(pipeline PSS, run process RSS, Prefect server PSS), peaks in MB, of one run."""
    shutil.rmtree(out, ignore_errors=True)
    with ChatServer(read_markers=False) as server:
        env = {"VISIONBATCH_BASE_URL": server.base_url, "VISIONBATCH_API_KEY": "bench-key"}
        # As images: the endpoint is what is measured, not the text layer that would answer.
        arguments = [
            str(pdf),
            "--out",
            str(out),
            "--model",
            "pixtral-12b-2409",
            "--text-layer",
            "off",
        ]
        run = run_cli([*arguments, "--concurrency", "16"], env, sample_memory=True).check()
    if run.number("pages ok") != pages:
        raise RuntimeError(f"expected {pages} pages ok:\n{run.stdout}")
    return run.peak_pss_mb, run.peak_rss_mb, run.peak_prefect_server_mb


def measure(folder: Path) -> list[Measurement]:
    small = text_pdf(folder / "letter_100.pdf", 100)
    large = repeat_pdf(small, folder / "letter_1000.pdf", 1000)
    small_pss, small_rss, _ = _peak(small, folder / "out-100", 100)
    large_pss, large_rss, server = _peak(large, folder / "out-1000", 1000)
    return [
        Measurement(
            "memory",
            "peak PSS, 1,000 pages / 100 pages",
            large_pss,
            small_pss,
            f"<= 1.2 and < {LIMIT_MB} MB",
            large_pss / small_pss <= 1.2 and large_pss < LIMIT_MB,
            f"{large_pss:.0f} MB against {small_pss:.0f} MB (run process RSS {large_rss:.0f} "
            f"and {small_rss:.0f} MB); Prefect's temporary server {server:.0f} MB besides",
        )
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        print_measurements(measure(Path(scratch)))


if __name__ == "__main__":
    sys.exit(main())
