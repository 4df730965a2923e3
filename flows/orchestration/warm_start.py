"""What a run's first request waits for, started while Prefect starts: the fork server of the
render workers and the endpoint SDK's import.

Measured at the start of a run (`benchmarks/saturation.py`, 60 one-page documents): the fork
server's launch held the event loop 0.36-0.46 s and the SDK's imports 0.7 s, so the first
request left 0.58 s after the flow started; warmed up here, 0.11-0.2 s. Prefect's start-up
takes longer than both, on the main thread.

A rerun into a DIR that already holds rows skips the SDK's import: it is most often a no-op
(everything already ok) or a short resume, and the import, on a thread of this process, holds
the interpreter from Prefect's start-up: +0.35 s on a no-op rerun of `data/samples`, whose goal is
under 3 s. The fork server is another process and costs this one nothing.
"""

import logging
import threading
from pathlib import Path

from extractors.discover.storage import is_remote, normalise_location
from flows.options.parameters import RunRequest

_log = logging.getLogger(__name__)


def warm_up_in_background(request: RunRequest) -> threading.Thread:
    """Start them on a daemon thread (returned); a failure there only loses the head start."""
    renders_here = request.dask is None
    imports_sdk = not _holds_rows(request.out)
    thread = threading.Thread(
        target=_warm_up, args=(renders_here, imports_sdk), name="visionbatch-warm-up", daemon=True
    )
    thread.start()
    return thread


def _holds_rows(out: str) -> bool:
    """Whether DIR already holds a dataset's part files (a remote DIR is not looked into)."""
    location = normalise_location(out)
    if is_remote(location):
        return False
    return any(Path(location).glob("*/*.parquet"))


def _warm_up(renders_here: bool, imports_sdk: bool) -> None:
    from extractors.endpoint.client import import_sdk
    from extractors.load.worker_start import start_fork_server

    try:
        if renders_here:
            start_fork_server()
        if imports_sdk:
            import_sdk()
    except (OSError, ImportError) as exc:
        # The run starts them itself when it needs them, and reports what fails then.
        _log.debug("warm-up failed: %s", exc)
