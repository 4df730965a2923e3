"""House rules checked on the source tree: modules stay small enough to read in one sitting."""

from conftest import REPO

PACKAGES = ("extractors", "flows", "schemas")


MAX_LINES = 300


def test_every_module_is_under_the_line_limit() -> None:
    counts = {
        path.relative_to(REPO).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
    }
    too_long = {name: lines for name, lines in counts.items() if lines >= MAX_LINES}
    listing = ", ".join(f"{name} ({lines} lines)" for name, lines in too_long.items())
    assert not too_long, f"modules of {MAX_LINES} lines or more, to split by role: {listing}"
