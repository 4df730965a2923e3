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
):
    os.environ.pop(_name, None)

# Runs in tests use Prefect's temporary server, so that none is left running after the suite;
# tests/flows/test_prefect_server.py checks the reusable one on its own PREFECT_HOME.
os.environ.setdefault("VISIONBATCH_PREFECT_SERVER", "temporary")

import pytest  # noqa: E402

# Helpers that assert for the tests that call them: failures show their values, as in a test.
pytest.register_assert_rewrite("page_checks", "render_checks")

# Kept importable as `from conftest import REPO` too; test modules take them from repo_paths.
from repo_paths import CORPUS, REPO, SAMPLES  # noqa: E402, F401

# Fixtures of tests/support/ that modules in several folders or files use (server, out_dir).
pytest_plugins = ["shared_fixtures"]


@pytest.fixture
def corpus() -> Path:
    """../shared/corpus, or a clean skip when it is not beside the repository."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return CORPUS
