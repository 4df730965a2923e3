"""`serve` stopping: a connection handler cancelled at shutdown logs nothing (Python 3.11's
stream server reports it as an error), and every other unawaited error is still logged."""

import asyncio
import logging
import sys

import pytest

from flows.orchestration.loop_errors import quiet_cancelled_connections


async def _cancel_a_connected_handler() -> None:
    """A stream server whose connection handler is cancelled while it waits for data, as
    Prefect's runner cancels its control channel's handlers when `serve` stops."""
    handlers: list[asyncio.Task[None]] = []
    waiting = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.append(task)
        waiting.set()
        try:
            await reader.read(1)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.wait_for(waiting.wait(), 10)
    handlers[0].cancel()
    await asyncio.gather(*handlers, return_exceptions=True)
    for _ in range(5):  # the server's done-callback runs on a later turn of the loop
        await asyncio.sleep(0)
    writer.close()
    server.close()
    await server.wait_closed()


def _run(quiet: bool) -> None:
    async def main() -> None:
        if quiet:
            asyncio.get_running_loop().set_exception_handler(quiet_cancelled_connections)
        await _cancel_a_connected_handler()

    asyncio.run(main())


def _loop_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.ERROR]


def test_a_cancelled_connection_handler_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        _run(quiet=True)
    assert _loop_errors(caplog) == []


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.12 no longer reports it")
def test_without_the_handler_python_3_11_logs_it_as_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        _run(quiet=False)
    (record,) = _loop_errors(caplog)
    assert "StreamReaderProtocol.connection_made" in record.getMessage()


def test_other_errors_no_task_awaited_are_still_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(quiet_cancelled_connections)
        loop.call_soon(lambda: 1 / 0)
        await asyncio.sleep(0.01)

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        asyncio.run(main())
    (record,) = _loop_errors(caplog)
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError
