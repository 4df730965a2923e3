"""A progress listener that keeps what it is told of retries, for tests to assert on."""

from extractors.progress import NoProgress


class RecordedRetries(NoProgress):
    """Each `retrying(reason, wait)` call, in order."""

    def __init__(self) -> None:
        self.retries: list[tuple[str, float]] = []

    def retrying(self, reason: str, wait: float) -> None:
        self.retries.append((reason, wait))
