"""What a run's first request waits for, started while Prefect starts: the fork server of the
render workers and the endpoint SDK's import.

Measured at the start of a run (`benchmarks/saturation.py`, 60 one-page documents): the fork
server's launch held the event loop 0.36-0.46 s and the SDK's import 0.5 s, so the first request
left 0.58 s after the flow started. Prefect's flow start-up takes longer than both, on the main
thread, so they cost the run nothing there.
"""

import logging
import threading

from flows.parameters import RunRequest

_log = logging.getLogger(__name__)


def warm_up_in_background(request: RunRequest) -> None:
    """Start both on a daemon thread; a failure here only loses the head start."""
    renders_here = request.dask is None
    thread = threading.Thread(
        target=_warm_up, args=(renders_here,), name="visionbatch-warm-up", daemon=True
    )
    thread.start()


def _warm_up(renders_here: bool) -> None:
    from extractors.endpoint.client import import_sdk
    from extractors.load.worker_start import start_fork_server

    try:
        if renders_here:
            start_fork_server()
        import_sdk()
    except (OSError, ImportError) as exc:
        # The run starts them itself when it needs them, and reports what fails then.
        _log.debug("warm-up failed: %s", exc)
