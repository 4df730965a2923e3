"""The pipeline in a process of its own (tests/extraction_runner.py), for tests that kill it."""

import json
import os
import subprocess
import sys
from typing import Any

from repo_paths import REPO, with_test_imports

RUNNER = REPO / "tests" / "extraction_runner.py"


def start_runner(output: int = subprocess.DEVNULL, **arguments: Any) -> subprocess.Popen[bytes]:
    """`run_direct(**arguments)` started in a new session: os.killpg(pid, SIGKILL) ends it.
    `output`: where its stdout and stderr go (subprocess.PIPE to read them)."""
    return subprocess.Popen(
        [sys.executable, str(RUNNER), json.dumps(arguments)],
        cwd=REPO,
        # The runner imports harness, as tests do: it needs pytest's import roots too.
        env=with_test_imports(dict(os.environ)),
        stdout=output,
        stderr=output,
        start_new_session=True,
    )
