"""Awaiting a document's chunks together: one failure ends its siblings, and is raised as is."""

import asyncio
from collections.abc import Awaitable, Iterable
from typing import TypeVar

Result = TypeVar("Result")


async def gather_all(awaitables: Iterable[Awaitable[Result]]) -> list[Result]:
    """Results in order. The first exception cancels the others (`asyncio.gather` would let
    them run on, writing rows of a document already recorded as failed) and is raised itself,
    not as an ExceptionGroup, so a RunAbortedError still stops the run and a bug's message
    reaches the document's error row."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_awaited(a)) for a in awaitables]
    except* Exception as failures:  # noqa: BLE001 - re-raised: unwrapped, never swallowed
        raise first_failure(failures) from None
    return [task.result() for task in tasks]


async def _awaited(awaitable: Awaitable[Result]) -> Result:
    return await awaitable


def first_failure(group: BaseExceptionGroup[Exception]) -> Exception:
    """The first exception of a task group's failures, out of any nested groups."""
    first = group.exceptions[0]
    return first_failure(first) if isinstance(first, BaseExceptionGroup) else first
