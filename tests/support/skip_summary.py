"""The line the test run ends with: tests skipped for a missing corpus or browser."""

from collections.abc import Iterable
from pathlib import Path

# Words of the skip reasons: the corpus fixture and skipif marks say "corpus", the browser
# tests name "chromium".
_CAUSES = (("corpus", "a missing corpus"), ("chromium", "a missing browser"))


def skip_reason(report: object) -> str:
    """The reason of a skipped test's report: `longrepr` is (path, line, reason) for a skip."""
    longrepr = getattr(report, "longrepr", None)
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr or "")


def skip_counts(reports: Iterable[object]) -> dict[str, int]:
    """Skipped tests per cause, in the causes' order; a cause with none is left out."""
    counts = dict.fromkeys((cause for _, cause in _CAUSES), 0)
    for report in reports:
        reason = skip_reason(report).lower()
        for word, cause in _CAUSES:
            if word in reason:
                counts[cause] += 1
                break
    return {cause: count for cause, count in counts.items() if count}


def skip_summary(reports: Iterable[object], corpus: Path) -> str | None:
    """`skipped: 29 tests for a missing corpus (...), 3 for a missing browser`, or None."""
    counts = skip_counts(reports)
    if not counts:
        return None
    parts = []
    for cause, count in counts.items():
        where = (
            f" (looked in {corpus}; set VISIONBATCH_CORPUS or --corpus DIR)"
            if cause == "a missing corpus"
            else " (install chromium)"
        )
        parts.append(f"{count} test{'s' if count != 1 else ''} for {cause}{where}")
    return "skipped: " + ", ".join(parts)
