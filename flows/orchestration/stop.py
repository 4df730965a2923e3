"""Stopping a run on SIGINT (Ctrl-C) or SIGTERM (a scheduler, `kill`): cleanly and at once.

The run's task is cancelled: no request is sent from then on, shards flush the rows already
answered to Parquet as they unwind, and the session closes its renderers and the embedded
engine. The command then says how far it got and exits 128 + the signal's number, without a
traceback and without waiting for threads that are mid-page in native code.
"""

import asyncio
import atexit
import os
import signal
import subprocess
from dataclasses import dataclass
from functools import partial
from unittest import mock

from extractors.progress import ProgressListener

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """Turns the first SIGINT or SIGTERM into the cancellation of one task."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._task: asyncio.Task[object] | None = None

    def arm(self) -> None:
        """Catch both signals for the task running now. Called again inside the flow: Prefect's
        flow engine installs its own SIGTERM handler when a flow run starts."""
        task = asyncio.current_task()
        if self._task is None:
            self._task = task
        loop = asyncio.get_running_loop()
        for number in _SIGNALS:
            loop.add_signal_handler(number, self._stop, number)

    def _stop(self, number: int) -> None:
        if self.received is None and self._task is not None:
            self.received = number
            self._task.cancel()

    @property
    def exit_code(self) -> int:
        """130 for SIGINT, 143 for SIGTERM: what shells report for a process they ended."""
        return 128 + (self.received or 0)


@dataclass
class PageTally:
    """Forwards progress to another listener and keeps the page counts for the last line."""

    inner: ProgressListener
    planned: int = 0
    done: int = 0

    def documents_found(self, total: int) -> None:
        self.inner.documents_found(total)

    def documents_done(self, count: int) -> None:
        self.inner.documents_done(count)

    def pages_found(self, total: int) -> None:
        self.inner.pages_found(total)

    def pages_planned(self, count: int) -> None:
        self.planned += count
        self.inner.pages_planned(count)

    def pages_finished(self, ok: int, errors: int) -> None:
        self.done += ok + errors
        self.inner.pages_finished(ok, errors)

    def requests_changed(self, in_flight: int, sent: int) -> None:
        self.inner.requests_changed(in_flight, sent)

    def retrying(self, reason: str, wait: float) -> None:
        self.inner.retrying(reason, wait)


def exit_now(code: int) -> None:
    """Run the exit hooks (Prefect stops its temporary server there), then leave without the
    interpreter's teardown, which would wait on native threads still inside a page."""
    atexit._run_exitfuncs()
    os._exit(code)


def start_temporary_server_apart() -> None:
    """Start Prefect's temporary server now, in a session of its own, for the run to use.

    Prefect starts it in the run's process group, so Ctrl-C at a terminal (SIGINT to the whole
    group) stopped the server too, and the run then waited on Prefect's client retrying a
    server that was gone (over 60 s) before its one line. Apart, it gets only the SIGTERM of
    Prefect's own exit hook. Prefect's client finds this instance (one per port) and uses it.
    """
    from prefect.server.api import server

    class TemporaryServerApart(server.SubprocessASGIServer):
        def _run_uvicorn_command(self) -> "subprocess.Popen[bytes]":
            with mock.patch.object(server, "subprocess", _NewSession):
                return super()._run_uvicorn_command()

    TemporaryServerApart().start()


class _NewSession:
    """`subprocess` as Prefect's server module sees it while it starts its server."""

    Popen = partial(subprocess.Popen, start_new_session=True)
