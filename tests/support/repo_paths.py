"""Where the repository, its sample documents and the shared corpus are, for every test."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "data" / "samples"
# The shared corpus: $VISIONBATCH_CORPUS, else ../shared/corpus beside the repository;
# `pytest --corpus DIR` sets the variable before the tests are collected (tests/conftest.py).
CORPUS_VARIABLE = "VISIONBATCH_CORPUS"
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"


def corpus_path() -> Path:
    """Where the tests look for the shared corpus."""
    return Path(os.environ.get(CORPUS_VARIABLE) or DEFAULT_CORPUS).expanduser().resolve()


CORPUS = corpus_path()
# The import roots pytest adds (pyproject.toml's `pythonpath`), which subprocesses do not get.
TEST_IMPORT_ROOTS = (REPO / "tests", REPO / "tests" / "support")


def with_test_imports(env: dict[str, str]) -> dict[str, str]:
    """``env`` whose PYTHONPATH also reaches the test helpers, for a Python subprocess."""
    roots = [str(root) for root in TEST_IMPORT_ROOTS]
    if env.get("PYTHONPATH"):
        roots.append(env["PYTHONPATH"])
    return {**env, "PYTHONPATH": os.pathsep.join(roots)}
