"""A progress listener that keeps what it is told of retries, for tests to assert on."""

from extractors.progress import NoProgress


class RecordedRetries(NoProgress):
    """Each `retrying(reason, wait)` call, in order."""

    def __init__(self) -> None:
        self.retries: list[tuple[str, float]] = []

    def retrying(self, reason: str, wait: float) -> None:
        self.retries.append((reason, wait))


class RecordedProgress(NoProgress):
    """Every call a listener gets that bears on the bars, in order, as (name, value)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def documents_found(self, total: int) -> None:
        self.events.append(("documents_found", total))

    def pages_found(self, total: int) -> None:
        self.events.append(("pages_found", total))

    def pages_planned(self, count: int) -> None:
        self.events.append(("pages_planned", count))

    def pages_finished(self, ok: int, errors: int) -> None:
        self.events.append(("pages_finished", ok + errors))
