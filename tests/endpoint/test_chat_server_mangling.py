"""The fake chat server's mangled answers: every way a model's JSON can come back broken."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chat_requests import ask, marked_url
from chat_server import ChatServer, Fault

ITEMS = [{"image": i, "text": f"marker 6-{i}"} for i in (1, 2, 3)]


def mangled(server: ChatServer, kind: str, n_images: int = 3) -> tuple[str, str]:
    """Content and finish_reason of one answer mangled by ``kind``."""
    server.inject(kind)
    resp = ask(server, [marked_url(6, p) for p in range(1, n_images + 1)])
    return resp.choices[0].message.content, resp.choices[0].finish_reason


@pytest.mark.parametrize(
    ("kind", "pages"),
    [
        ("shuffled", ITEMS[::-1]),
        ("missing", ITEMS[:2]),
        ("duplicated", [*ITEMS, ITEMS[0]]),
        ("extra", [*ITEMS, {"image": 4, "text": "phantom"}]),
        ("out_of_range", [*ITEMS[:2], {"image": 8, "text": "marker 6-3"}]),
    ],
)
def test_mangled_pages(server: ChatServer, kind: str, pages: list[dict[str, Any]]) -> None:
    content, finish = mangled(server, kind)
    assert json.loads(content) == {"pages": pages}
    assert finish == "stop"
    assert server.requests[0].fault == Fault(kind)
    assert server.answered_values == []  # mangled answers are not counted as answered


def test_mangled_conflicting_duplicate(server: ChatServer) -> None:
    pages = json.loads(mangled(server, "conflicting_duplicate")[0])["pages"]
    assert pages[:3] == ITEMS
    assert pages[3]["image"] == 1 and pages[3]["text"] != ITEMS[0]["text"]


def test_mangled_missing_single_image(server: ChatServer) -> None:
    assert json.loads(mangled(server, "missing", n_images=1)[0]) == {"pages": []}


def test_mangled_unparseable(server: ChatServer) -> None:
    content, _ = mangled(server, "invalid_json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)
    content, finish = mangled(server, "truncated")
    assert finish == "length"
    assert json.dumps({"pages": ITEMS}).startswith(content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)
    assert mangled(server, "empty")[0] == ""


def test_mangled_wrappers(server: ChatServer) -> None:
    content, _ = mangled(server, "fenced")
    assert content.startswith("```json\n") and content.endswith("\n```")
    assert json.loads(content.removeprefix("```json\n").removesuffix("\n```")) == {"pages": ITEMS}
    assert json.loads(mangled(server, "bare_list")[0]) == ITEMS
