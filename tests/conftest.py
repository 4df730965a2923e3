"""Test-wide setup: Prefect kept quiet and in a temporary home; shared paths and fixtures."""

import os
import tempfile
from pathlib import Path

# Before anything imports Prefect: a throwaway home, no analytics, quiet logs, patient start-up.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="visionbatch-prefect-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
for _name in (
    "VISIONBATCH_BASE_URL",
    "VISIONBATCH_API_KEY",
    "VISIONBATCH_MODEL",
    "VISIONBATCH_PROVIDER",
    "VISIONBATCH_PASSWORD",
    "VISIONBATCH_HEADERS",
):
    os.environ.pop(_name, None)

# Runs in tests use Prefect's temporary server, so that none is left running after the suite;
# tests/flows/test_prefect_server.py checks the reusable one on its own PREFECT_HOME.
os.environ.setdefault("VISIONBATCH_PREFECT_SERVER", "temporary")

import pytest  # noqa: E402
import repo_paths  # noqa: E402
from skip_summary import skip_summary  # noqa: E402

# Helpers that assert for the tests that call them: failures show their values, as in a test.
pytest.register_assert_rewrite("page_checks", "render_checks", "dask_cluster")

# Kept importable as `from conftest import REPO` too; test modules take them from repo_paths.
from repo_paths import CORPUS, REPO, SAMPLES  # noqa: E402, F401

# Fixtures of tests/support/ that modules in several folders or files use (server, out_dir).
pytest_plugins = ["shared_fixtures", "dask_cluster"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--corpus",
        metavar="DIR",
        help=f"The shared corpus (default: ${repo_paths.CORPUS_VARIABLE}, else ../shared/corpus).",
    )


def pytest_configure(config: pytest.Config) -> None:
    """`--corpus DIR` wins over the variable; set before the test modules are imported, and
    in the environment, so that subprocesses of tests find it too."""
    given = config.getoption("--corpus")
    if given:
        os.environ[repo_paths.CORPUS_VARIABLE] = str(given)
    repo_paths.CORPUS = globals()["CORPUS"] = repo_paths.corpus_path()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line at the end: how many tests were skipped for a missing corpus or browser."""
    line = skip_summary(terminalreporter.stats.get("skipped", []), repo_paths.CORPUS)
    if line:
        terminalreporter.write_line(line, yellow=True, bold=True)


@pytest.fixture
def corpus() -> Path:
    """The shared corpus, or a clean skip when it is missing."""
    if not repo_paths.CORPUS.is_dir():
        pytest.skip(f"the shared corpus is missing at {repo_paths.CORPUS}")
    return repo_paths.CORPUS
