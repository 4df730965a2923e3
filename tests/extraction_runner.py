"""The pipeline's stages (no Prefect) in a process of their own, for tests that SIGKILL it.

    python tests/extraction_runner.py '{"inputs": [...], "out": ..., "base_url": ..., ...}'

The JSON holds `run_direct`'s arguments; `flush_rows` small makes part files appear often.
"""

import asyncio
import json
import sys
from pathlib import Path

from harness import run_direct


def main() -> None:
    arguments = json.loads(sys.argv[1])
    inputs = [Path(p) for p in arguments.pop("inputs")]
    out = Path(arguments.pop("out"))
    summary, _ = asyncio.run(run_direct(inputs, out, **arguments))
    print(json.dumps({"pages_ok": summary.pages_ok, "pages_error": summary.pages_error}))


if __name__ == "__main__":
    main()
