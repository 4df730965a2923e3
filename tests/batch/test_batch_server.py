"""The test batch server: uploads, states advancing per poll, per-line faults, expiry, limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from batch_server import BatchServer
from chat_requests import marked_url, user_messages

KEY = "sk-batch-test"


@pytest.fixture
def batch_server() -> Iterator[BatchServer]:
    with BatchServer(api_key=KEY) as server:
        yield server


def _line(custom_id: str, urls: list[str], model: str = "fake-vision") -> dict[str, Any]:
    body = {"model": model, "messages": user_messages(urls), "max_completion_tokens": 500}
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}


def _jsonl(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def _client(server: BatchServer, key: str = KEY) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"})


def _upload(client: httpx.Client, data: bytes) -> str:
    files = {"file": ("input.jsonl", data, "application/jsonl")}
    response = client.post("/files", data={"purpose": "batch"}, files=files)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def _create(client: httpx.Client, file_id: str) -> httpx.Response:
    body = {
        "input_file_id": file_id,
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    }
    return client.post("/batches", json=body)


def _lines_of(client: httpx.Client, file_id: str | None) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    content = client.get(f"/files/{file_id}/content")
    assert content.status_code == 200
    return [json.loads(line) for line in content.text.splitlines()]


def test_batch_moves_one_state_per_poll_and_answers_every_line(batch_server: BatchServer) -> None:
    with _client(batch_server) as client:
        data = _jsonl(
            [_line("a", [marked_url(1, 1), marked_url(1, 2)]), _line("b", [marked_url(2, 1)])]
        )
        created = _create(client, _upload(client, data)).json()
        assert created["status"] == "validating"
        states = [client.get(f"/batches/{created['id']}").json() for _ in range(4)]
        assert [s["status"] for s in states] == [
            "in_progress",
            "finalizing",
            "completed",
            "completed",
        ]
        done = states[-1]
        assert done["request_counts"] == {"total": 2, "completed": 2, "failed": 0}
        output = _lines_of(client, done["output_file_id"])
    assert done["error_file_id"] is None
    by_id = {line["custom_id"]: line for line in output}
    assert sorted(by_id) == ["a", "b"]
    body = by_id["a"]["response"]["body"]
    assert by_id["a"]["response"]["status_code"] == 200
    assert json.loads(body["choices"][0]["message"]["content"]) == {
        "pages": [{"image": 1, "text": "marker 1-1"}, {"image": 2, "text": "marker 1-2"}]
    }
    assert body["usage"]["prompt_tokens"] > 0


def test_line_faults_reach_the_output_and_error_files(batch_server: BatchServer) -> None:
    batch_server.line_faults = {
        0: "status:500",
        1: "error",
        2: "invalid_json",
        3: "missing",
        4: "drop",
    }
    lines = [_line(f"l{i}", [marked_url(3, i + 1), marked_url(3, i + 10)]) for i in range(6)]
    with _client(batch_server) as client:
        created = _create(client, _upload(client, _jsonl(lines))).json()
        for _ in range(3):
            done = client.get(f"/batches/{created['id']}").json()
        output = {line["custom_id"]: line for line in _lines_of(client, done["output_file_id"])}
        errors = {line["custom_id"]: line for line in _lines_of(client, done["error_file_id"])}
    assert sorted(output) == ["l2", "l3", "l5"]
    assert sorted(errors) == ["l0", "l1"]
    assert errors["l0"]["response"]["status_code"] == 500
    assert errors["l1"]["response"] is None and errors["l1"]["error"]["code"] == "server_error"
    bad = output["l2"]["response"]["body"]["choices"][0]["message"]["content"]
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad)
    short = json.loads(output["l3"]["response"]["body"]["choices"][0]["message"]["content"])
    assert [item["image"] for item in short["pages"]] == [1]
    assert done["request_counts"] == {"total": 6, "completed": 3, "failed": 2}


def test_an_expired_batch_keeps_what_it_finished(batch_server: BatchServer) -> None:
    batch_server.expire_after = 2
    lines = [_line(f"l{i}", [marked_url(4, i + 1)]) for i in range(5)]
    with _client(batch_server) as client:
        created = _create(client, _upload(client, _jsonl(lines))).json()
        for _ in range(3):
            done = client.get(f"/batches/{created['id']}").json()
        output = _lines_of(client, done["output_file_id"])
        errors = _lines_of(client, done["error_file_id"])
    assert done["status"] == "expired"
    assert sorted(line["custom_id"] for line in output) == ["l0", "l1"]
    assert sorted(line["custom_id"] for line in errors) == ["l2", "l3", "l4"]
    assert {line["error"]["code"] for line in errors} == {"batch_expired"}


def test_limits_answer_400(batch_server: BatchServer) -> None:
    tiny = {"model": "fake-vision", "messages": [{"role": "user", "content": "x"}]}
    many = b"".join(
        json.dumps(
            {"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions", "body": tiny}
        ).encode()
        + b"\n"
        for i in range(50_001)
    )
    two_models = _jsonl([_line("a", [marked_url(1, 1)]), _line("b", [marked_url(1, 2)], "other")])
    with _client(batch_server) as client:
        too_many = _create(client, _upload(client, many))
        mixed = _create(client, _upload(client, two_models))
        fine = _create(client, _upload(client, many[: many.index(b"\n") + 1]))
    assert too_many.status_code == 400 and "at most 50000" in too_many.text
    assert mixed.status_code == 400 and "one model" in mixed.text
    assert fine.status_code == 200
    assert batch_server.created == 1


def test_every_call_needs_the_key(batch_server: BatchServer) -> None:
    with _client(batch_server, key="wrong") as client:
        response = client.post("/files", data={"purpose": "batch"}, files={"file": ("a", b"")})
        listing = client.get("/batches/batch_1")
    assert response.status_code == 401 and listing.status_code == 401
    assert batch_server.files == {}


def test_mistral_jobs_have_their_own_routes_and_states(batch_server: BatchServer) -> None:
    line = _line("m1", [marked_url(5, 1)])
    mistral_line = {"custom_id": line["custom_id"], "body": line["body"]}
    with _client(batch_server) as client:
        file_id = _upload(client, _jsonl([mistral_line]))
        job = client.post(
            "/batch/jobs",
            json={
                "input_files": [file_id],
                "endpoint": "/v1/chat/completions",
                "model": "fake-vision",
            },
        ).json()
        states = [client.get(f"/batch/jobs/{job['id']}").json() for _ in range(3)]
        output = _lines_of(client, states[-1]["output_file"])
    assert job["status"] == "QUEUED"
    assert [s["status"] for s in states] == ["RUNNING", "RUNNING", "SUCCESS"]
    assert states[-1]["succeeded_requests"] == 1
    assert output[0]["custom_id"] == "m1"
