"""Running `--batch` as the flow does (batch phase, then the online pass), without Prefect.

    python tests/support/batch_runs.py '{"inputs": [...], "out": ..., "base_url": ..., ...}'

runs it in a process of its own, for tests that SIGKILL it.
"""

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import run_direct

from extractors.document.shard import ShardSummary
from extractors.progress import NoProgress
from flows.options.config import RunRequest, Secrets, resolve_run
from flows.orchestration.batch_checks import check_batch_request
from flows.orchestration.batch_phase import BatchRun, run_batch_phase

KEY = "sk-batch-test-key"


@dataclass
class BatchOutcome:
    """Whether the batches were all collected, and what the online pass did after them."""

    collected: bool
    online: ShardSummary | None


async def run_batch(inputs: list[Path], out: Path, **request: Any) -> BatchOutcome:
    """The batch phase of a run, then (when collected) the online pass over the same inputs."""
    request.setdefault("batch_poll_interval", 0.01)
    run_request = RunRequest(
        inputs=[str(p) for p in inputs], out=str(out), batch=True, model="m", **request
    )
    secrets = Secrets(api_key=KEY)
    resolved = resolve_run(run_request, secrets)
    check_batch_request(run_request, resolved)
    locations = [str(p) for p in inputs]
    batch = BatchRun(run_request, resolved, locations, str(out), NoProgress())
    if not await run_batch_phase(batch):
        return BatchOutcome(False, None)
    online, _ = await run_direct(inputs, out, secrets, model="m", **request)
    return BatchOutcome(True, online)


def batch_run(inputs: list[Path], out: Path, **request: Any) -> BatchOutcome:
    return asyncio.run(run_batch(inputs, out, **request))


def main() -> None:
    arguments = json.loads(sys.argv[1])
    inputs = [Path(p) for p in arguments.pop("inputs")]
    out = Path(arguments.pop("out"))
    outcome = batch_run(inputs, out, **arguments)
    print(json.dumps({"collected": outcome.collected}))


if __name__ == "__main__":
    main()
