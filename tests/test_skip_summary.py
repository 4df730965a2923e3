"""The corpus path can be set, and a run ends with the tests it skipped for a missing one."""

import os
import re
import subprocess
import sys
from pathlib import Path

from repo_paths import REPO, with_test_imports
from skip_summary import skip_summary


class _Skipped:
    def __init__(self, reason: str) -> None:
        self.longrepr = ("test_x.py", 3, f"Skipped: {reason}")


def test_the_summary_counts_skips_by_cause() -> None:
    reports = [
        _Skipped("the shared corpus is missing at /x"),
        _Skipped("../shared/corpus is missing"),
        _Skipped("chromium is not installed (Debian: apt-get install chromium)"),
        _Skipped("needs a GPU"),
    ]
    line = skip_summary(reports, Path("/x"))
    assert line == (
        "skipped: 2 tests for a missing corpus (looked in /x; set VISIONBATCH_CORPUS or "
        "--corpus DIR), 1 test for a missing browser (install chromium)"
    )
    assert skip_summary([_Skipped("needs a GPU")], Path("/x")) is None


def test_a_run_without_corpus_or_browser_ends_with_what_it_skipped(tmp_path: Path) -> None:
    missing = tmp_path / "no-corpus"
    # No chromium on this PATH: the browser tests skip too.
    env = with_test_imports({**os.environ, "PATH": str(Path(sys.executable).parent)})
    env.pop("VISIONBATCH_CORPUS", None)
    tests = ["tests/load/test_reader_corpus_pdfs.py", "tests/report/test_report_html.py"]
    options = ["-q", "-p", "no:cacheprovider", "--corpus", str(missing), "-k", "corpus or chromium"]
    command = [sys.executable, "-m", "pytest", *options, *tests]
    done = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:]
    last = done.stdout.strip().splitlines()
    line = next(line for line in last if line.startswith("skipped: "))
    found = re.fullmatch(
        rf"skipped: (\d+) tests for a missing corpus \(looked in {re.escape(str(missing))}; "
        r"set VISIONBATCH_CORPUS or --corpus DIR\), (\d+) tests for a missing browser "
        r"\(install chromium\)",
        line,
    )
    assert found is not None, line
    corpus, browser = int(found[1]), int(found[2])
    assert corpus >= 10 and browser == 2
    total = re.search(r"(\d+) skipped", last[-1])
    assert total is not None and int(total[1]) == corpus + browser
