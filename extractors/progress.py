"""How stages report progress to whoever draws it (the CLI's progress bar, or nobody)."""

from typing import Protocol


class ProgressListener(Protocol):
    """Told how many documents there are and as they finish, as pages are planned and
    finished, and as requests start and end."""

    def documents_found(self, total: int) -> None: ...

    def documents_done(self, count: int) -> None: ...

    def pages_planned(self, count: int) -> None: ...

    def pages_finished(self, ok: int, errors: int) -> None: ...

    def requests_changed(self, in_flight: int, sent: int) -> None: ...


class NoProgress:
    """A listener that ignores everything (tests, non-interactive runs)."""

    def documents_found(self, total: int) -> None:
        return None

    def documents_done(self, count: int) -> None:
        return None

    def pages_planned(self, count: int) -> None:
        return None

    def pages_finished(self, ok: int, errors: int) -> None:
        return None

    def requests_changed(self, in_flight: int, sent: int) -> None:
        return None
