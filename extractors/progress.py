"""How stages report progress to whoever draws it (the CLI's progress bar, or nobody)."""

from typing import Protocol


class ProgressListener(Protocol):
    """Told how many documents there are and as they finish, how many pages they hold, as
    pages are planned and finished, as requests start and end, and when one is retried."""

    def documents_found(self, total: int) -> None: ...

    def documents_done(self, count: int) -> None: ...

    def pages_found(self, total: int) -> None:
        """The pages of all the documents, counted beside the run (told once, if known)."""
        ...

    def pages_planned(self, count: int) -> None: ...

    def pages_finished(self, ok: int, errors: int) -> None: ...

    def requests_changed(self, in_flight: int, sent: int) -> None: ...

    def retrying(self, reason: str, wait: float) -> None:
        """A request failed in a way worth another attempt, made in `wait` seconds."""
        ...


class NoProgress:
    """A listener that ignores everything (tests, non-interactive runs)."""

    def documents_found(self, total: int) -> None:
        return None

    def documents_done(self, count: int) -> None:
        return None

    def pages_found(self, total: int) -> None:
        return None

    def pages_planned(self, count: int) -> None:
        return None

    def pages_finished(self, ok: int, errors: int) -> None:
        return None

    def requests_changed(self, in_flight: int, sent: int) -> None:
        return None

    def retrying(self, reason: str, wait: float) -> None:
        return None
