"""Fixtures that test modules of several files share; tests/conftest.py registers them."""

from collections.abc import Iterator
from pathlib import Path

import chat_requests
import pytest
from chat_server import ChatServer
from report_data import page_dataset, receipt_dataset

from extractors.sink.lock import LOCK_NAME
from extractors.sink.store import PAGES


@pytest.fixture(autouse=True, scope="session")
def _close_chat_request_pools() -> Iterator[None]:
    """chat_requests' HTTP pools serve every ChatServer test module, so they close last."""
    yield
    chat_requests.close_pools()


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer() as srv:
        yield srv


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """A DIR as runs leave it, with a lock file and a half-written part that must be ignored."""
    out = tmp_path / "out"
    page_dataset(out)
    receipt_dataset(out)
    (out / LOCK_NAME).write_text("")
    (out / PAGES / ".tmp-part-run-c-00001.parquet.partial").write_bytes(b"PAR1 half written")
    return out
