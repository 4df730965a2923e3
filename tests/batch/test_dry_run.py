"""`--dry-run`: the requests a run would send and their cost, online and in batch; no request."""

import json
from pathlib import Path

from chat_server import ChatServer
from harness import run
from markers import make_marked_image, make_marked_pdf
from typer.testing import CliRunner

from flows.commands.cli import app


def _dry_run(inputs: Path, out: Path, server: ChatServer, *extra: str) -> dict[str, object]:
    args = ["run", str(inputs), "--out", str(out), "--base-url", server.base_url]
    if "--provider" not in extra:
        args += ["--model", "m"]
    result = CliRunner().invoke(app, [*args, "--dry-run", "--json", *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    figures: dict[str, object] = json.loads(result.stdout)
    return figures


def test_a_dry_run_counts_what_the_run_then_sends(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    make_marked_pdf(inputs / "doc_1.pdf", 1, 14)
    make_marked_image(inputs / "img_2.png", 2)
    (inputs / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    out = tmp_path / "out"
    with ChatServer() as server:
        before = _dry_run(inputs, out, server)
        assert server.request_count == 0
        run([inputs], out, base_url=server.base_url, model="m")
        sent = [r.n_images for r in server.requests]
        after = _dry_run(inputs, out, server)

    # Pages are the readable files' (an unreadable file's are unknown): 14 + 1.
    assert before["files"] == 3 and before["pages"] == 15 and before["unreadable"] == 1
    assert before["requests"] == len(sent) == 3
    assert before["images"] == sum(sent) == 15
    assert before["prompt_tokens"] > 15 * 1000 and before["answer_room"] > 0
    # A bare URL is priced as self-hosted: nothing online, nothing in batch.
    assert (before["estimated_cost_online"], before["estimated_cost_batch"]) == (0.0, 0.0)
    assert (after["requests"], after["pages_done"], after["files_done"]) == (0, 15, 2)


def test_a_dry_run_needs_no_key_and_prices_the_batch_at_half_for_openai(tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "doc_1.pdf", 1, 3)
    with ChatServer() as server:
        figures = _dry_run(tmp_path / "doc_1.pdf", tmp_path / "out", server, "--provider", "openai")
    online, batch = figures["estimated_cost_online"], figures["estimated_cost_batch"]
    assert isinstance(online, float) and online > 0
    assert isinstance(batch, float) and abs(batch - online / 2) <= 1e-6
    assert figures["currency"] == "USD" and figures["model"] == "gpt-4.1-mini"
