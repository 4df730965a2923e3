"""`visionbatch ingest` checks what it is given: a file of another run is refused whole and
the plan kept; foreign, duplicate and cut lines and lines for pages already ok are told and
counted; the plan is archived only once every line is in; the key never reaches a row."""

import json
from pathlib import Path

import polars as pl
import pytest
from batch_runs import batch_run
from batch_server.lines import answer_line, read_input
from key_forms import echoed_forms, forms_found
from markers import make_marked_pdf
from page_checks import assert_every_page_once_ok, read_pages
from typer.testing import CliRunner

from flows.commands.cli import app

SECRET = "sk-visionbatch-INGEST-SECRET-31"


def _plan(tmp_path: Path, name: str, pages: int, **request: object) -> tuple[Path, Path]:
    """A `--batch-file-only` plan of one PDF (one page a request): (DIR, its input file)."""
    pdf = tmp_path / f"{name}_{pages}.pdf"
    make_marked_pdf(pdf, pages, pages)
    out = tmp_path / name
    batch_run([pdf], out, provider="vllm", batch_file_only=True, max_images=1, **request)
    (input_file,) = (out / "batches").glob("*/input-0001.jsonl")
    return out, input_file


def _answers(input_file: Path) -> list[str]:
    """The output lines `vllm run-batch` would write for the file, in its order."""
    return [
        json.dumps(answer_line(line, None, line.index + 1)[1])
        for line in read_input(input_file.read_bytes())
    ]


def _ingest(out: Path, *files: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["ingest", str(out), *map(str, files)], env=env)
    return result.exit_code, result.output


def test_a_file_of_another_run_is_refused_whole_and_the_plan_kept(tmp_path: Path) -> None:
    out, input_file = _plan(tmp_path, "ours", 2)
    _, other_input = _plan(tmp_path, "theirs", 3)
    other = tmp_path / "theirs.jsonl"
    other.write_text("\n".join(_answers(other_input)) + "\n")

    code, said = _ingest(out, other)

    run_id = input_file.parent.name
    (line,) = said.strip().splitlines()
    assert code == 1 and line.startswith("visionbatch: error: ")
    assert str(other) in line and run_id in line and "none of the 2 requests" in line
    assert (out / "batches" / "state.json").is_file()
    assert not list((out / "pages").glob("*.parquet"))
    ours = tmp_path / "ours.jsonl"
    ours.write_text("\n".join(_answers(input_file)) + "\n")
    code, said = _ingest(out, ours)
    assert code == 0 and "plan archived" in said, said
    assert_every_page_once_ok(out, 2)
    assert not (out / "batches" / "state.json").exists()


def test_foreign_duplicate_and_cut_lines_are_told_counted_and_the_plan_waits(
    tmp_path: Path,
) -> None:
    out, input_file = _plan(tmp_path, "ours", 4)
    _, other_input = _plan(tmp_path, "theirs", 1)
    answers = _answers(input_file)
    mixed = tmp_path / "mixed.jsonl"
    # Two answers, one of them twice, a line of another run, and the third answer cut short.
    lines = [answers[0], answers[1], answers[0], _answers(other_input)[0]]
    mixed.write_text("\n".join(lines) + "\n" + answers[2][: len(answers[2]) // 2])

    code, said = _ingest(out, mixed)

    assert code == 0, said
    assert "2 pages ok, 2 errors; lines duplicate 1, foreign 1, cut 1" in said
    assert "2 line(s) still waiting: plan kept" in said
    told = [line for line in said.splitlines() if line.startswith(f"visionbatch: {mixed}")]
    assert len(told) == 3
    listed = CliRunner().invoke(app, ["ingest", str(out), "--list"])
    assert listed.exit_code == 0 and "4 lines, 2 waiting" in listed.output

    whole = tmp_path / "whole.jsonl"
    whole.write_text("\n".join(answers) + "\n")
    code, said = _ingest(out, whole)
    assert code == 0 and "2 pages ok, 0 errors; lines already_ok 2" in said, said
    assert "plan archived" in said
    assert_every_page_once_ok(out, 4)


def test_key_echoed_in_error_lines_is_in_no_column_and_no_terminal_line(tmp_path: Path) -> None:
    forms = list(echoed_forms(SECRET).values())
    out, input_file = _plan(tmp_path, "ours", len(forms))
    echoed = tmp_path / "echoed.jsonl"
    with echoed.open("w") as handle:
        for line, form in zip(read_input(input_file.read_bytes()), forms, strict=True):
            body = {"error": {"message": f"bad key {form} for {line.custom_id}"}}
            response = {"status_code": 401, "body": body}
            handle.write(json.dumps({"custom_id": line.custom_id, "response": response}) + "\n")
        handle.write(json.dumps({"custom_id": f"foreign-{SECRET}", "error": "x"}) + "\n")

    code, said = _ingest(out, echoed, env={"VISIONBATCH_API_KEY": SECRET})

    assert code == 0, said
    df = read_pages(out)
    assert df.height == len(forms) and df["error"].str.contains("HTTP 401: bad key \\*\\*\\*").all()
    assert not forms_found(SECRET, df.write_json())  # every column, as text
    assert not forms_found(SECRET, said)
    for path in out.rglob("*"):
        if path.is_file():
            assert not forms_found(SECRET, path.read_bytes()), path


def test_a_line_over_the_answer_cap_is_an_answer_error_of_its_pages(tmp_path: Path) -> None:
    out, input_file = _plan(tmp_path, "ours", 2, max_answer_mb=0.05)
    answers = _answers(input_file)
    huge = json.loads(answers[1])
    huge["response"]["body"]["padding"] = "x" * 200_000
    output = tmp_path / "out.jsonl"
    output.write_text(answers[0] + "\n" + json.dumps(huge) + "\n")

    code, said = _ingest(out, output)

    assert code == 0 and "1 pages ok, 1 errors; lines oversize 1" in said, said
    errors = read_pages(out).filter(pl.col("status") == "error")
    assert errors["error"].to_list() == [
        f"batch offline-{input_file.parent.name}: answer larger than 0.05 MB"
    ]
    assert errors["error_category"].to_list() == ["answer"]


@pytest.mark.parametrize("where", ["ordinary", "one huge line"])
def test_a_200_mb_file_is_ingested_in_bounded_memory(tmp_path: Path, where: str) -> None:
    import asyncio
    import tracemalloc

    from flows.commands.ingest import ingest_outputs

    out, input_file = _plan(tmp_path, "ours", 2)
    answers = _answers(input_file)
    output = tmp_path / "big.jsonl"
    with output.open("w") as handle:
        handle.write(answers[0] + "\n")
        filler = '{"custom_id": "elsewhere", "pad": "' + "y" * 1_000_000 + '"}\n'
        if where == "ordinary":
            handle.writelines(filler for _ in range(200))
        else:
            handle.write('{"custom_id": "' + json.loads(answers[1])["custom_id"] + '", "pad": "')
            handle.writelines("z" * 1_000_000 for _ in range(200))
            handle.write('"}\n')
    try:
        tracemalloc.start()
        outcome = asyncio.run(ingest_outputs(out, [output]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        output.unlink()
    assert peak < 48_000_000, peak
    assert outcome.summary.pages_ok == 1 and outcome.summary.pages_error == 1
    kinds = outcome.tallies[0].counts
    assert kinds == ({"foreign": 200} if where == "ordinary" else {"oversize": 1})
