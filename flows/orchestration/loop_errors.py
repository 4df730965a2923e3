"""The event loop's handler of errors no task awaited, less one false alarm of Python 3.11.

When `serve` stops, Prefect's runner cancels the handler of a connection on its control
channel (a flow run's child process is connected while it runs). Python 3.11's stream server
then calls `task.exception()` on that cancelled task in a loop callback, which raises
CancelledError, and the loop logs it as an error with a traceback: a cancellation asked for,
not a failure (Python 3.12 checks `task.cancelled()` first). Everything else is logged as the
loop would.
"""

import asyncio
from typing import Any

# The loop callback Python 3.11's `asyncio.start_server` runs when a connection's handler ends.
_STREAM_CALLBACK = "StreamReaderProtocol.connection_made.<locals>.callback"


def quiet_cancelled_connections(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A loop exception handler: drops a cancelled connection handler's CancelledError."""
    cancelled = isinstance(context.get("exception"), asyncio.CancelledError)
    if cancelled and _STREAM_CALLBACK in str(context.get("message", "")):
        return
    loop.default_exception_handler(context)
