"""What the caller hands the flow outside its parameters: secrets and a progress listener."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from extractors.progress import NoProgress, ProgressListener
from flows.options.config import Secrets

if TYPE_CHECKING:
    from flows.orchestration.bookkeeping import ControlPlane
    from schemas import RunSummary


def _nothing(summary: "RunSummary", plane: "ControlPlane") -> None:
    """A run without a caller waiting (deployed, scheduled) has no one to tell."""


@dataclass(frozen=True)
class RunHooks:
    """What the caller hands the flow outside its parameters: secrets and a progress listener."""

    secrets: Secrets | None = None
    progress: ProgressListener = field(default_factory=NoProgress)
    # Called as the flow's body starts (the CLI takes back SIGINT and SIGTERM from Prefect).
    on_start: Callable[[], None] = lambda: None
    # Called once the body's work is done (rows written), before Prefect's last reports, with
    # the run's summary and the API those go to: the caller can do without them.
    on_finish: "Callable[[RunSummary, ControlPlane], None]" = _nothing


_HOOKS: ContextVar[RunHooks | None] = ContextVar("visionbatch_run_hooks", default=None)


@asynccontextmanager
async def run_hooks(hooks: RunHooks) -> AsyncIterator[None]:
    """Give the flow called inside this block these secrets and this progress listener."""
    token = _HOOKS.set(hooks)
    try:
        yield
    finally:
        _HOOKS.reset(token)


def current_hooks() -> RunHooks:
    """The hooks of the enclosing `run_hooks` block, or none.

    The flow reads its hooks through this function, never the ContextVar itself: Dask
    pickles the flow's function by value, with the globals it names, and a ContextVar does
    not pickle.
    """
    return _HOOKS.get() or RunHooks()
