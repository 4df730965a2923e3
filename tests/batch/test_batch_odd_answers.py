"""Batch endpoint answers that are not what the protocol says (a redirect, HTML, an empty
body, a 5xx) at upload, create, poll or download: one BatchApiError naming the step and the
status, the batch state kept, and the same command resumes to the end."""

import json
from pathlib import Path

import pytest
from batch_runs import KEY, batch_run
from batch_server import BatchServer
from markers import make_marked_pdf
from page_checks import assert_every_page_once_ok

from extractors.errors import BatchApiError

HTML = b"<html><body>Bad gateway</body></html>"
TEXT_HTML = {"Content-Type": "text/html"}
# (step, the odd answer, what the error says after "batch STEP: endpoint answered ").
ODD = [
    ("upload", (200, HTML, TEXT_HTML), "200 with HTML, not JSON"),
    ("upload", (200, b"", {}), "200 with an empty body, not JSON"),
    ("upload", (503, HTML, TEXT_HTML), "HTTP 503: <html><body>Bad gateway</body></html>"),
    ("upload", (307, b"", {"Location": "http://127.0.0.9:9/v1/files"}), "307 redirect to"),
    ("create", (502, b"", {}), "HTTP 502: "),
    ("create", (200, b'{"object": "batch"}', {}), "200 with JSON without an id, not a batch"),
    ("poll", (200, HTML, TEXT_HTML), "200 with HTML, not JSON"),
    ("download", (200, HTML, TEXT_HTML), "200 with HTML, not JSONL"),
    ("download", (200, b"", {}), "200 with an empty body, not JSONL"),
    ("download", (301, b"", {"Location": "https://elsewhere.example/f"}), "301 redirect to"),
]


@pytest.mark.parametrize(("step", "answer", "said"), ODD, ids=[f"{s}-{a[0]}" for s, a, _ in ODD])
def test_an_odd_answer_is_one_line_and_the_same_command_resumes(
    tmp_path: Path, step: str, answer: tuple[int, bytes, dict[str, str]], said: str
) -> None:
    make_marked_pdf(tmp_path / "doc_1.pdf", 1, 2)
    out = tmp_path / "out"
    with BatchServer(api_key=KEY) as server:
        server.odd_answers = {step: [answer]}
        with pytest.raises(BatchApiError) as raised:
            batch_run([tmp_path / "doc_1.pdf"], out, base_url=server.base_url)
        message = str(raised.value)
        state = json.loads((out / "batches" / "state.json").read_text())
        again = batch_run([tmp_path / "doc_1.pdf"], out, base_url=server.base_url)

    assert message.startswith(f"batch {step}: endpoint answered {said}"), message
    assert "\n" not in message
    if "redirect" in said:
        assert message.endswith("; not followed") and "127.0.0.1" not in message
    assert len(state["batches"]) == 1
    assert again.collected and server.created == 1, server.calls
    assert_every_page_once_ok(out, 2)


@pytest.mark.slow
def test_the_command_says_an_html_upload_answer_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flows.commands.cli import app

    make_marked_pdf(tmp_path / "doc_1.pdf", 1, 1)
    with BatchServer(api_key=KEY) as server:
        server.odd_answers = {"upload": [(200, HTML, {"Content-Type": "text/html"})]}
        args = ["run", str(tmp_path / "doc_1.pdf"), "--out", str(tmp_path / "out")]
        args += ["--base-url", server.base_url, "--model", "m", "--batch"]
        result = CliRunner().invoke(app, args, env={"VISIONBATCH_API_KEY": KEY})

    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if "error" in line.lower()]
    assert errors == [
        "visionbatch: error: batch upload: endpoint answered 200 with HTML, not JSON"
    ], result.output
    assert "Traceback" not in result.output
