"""`visionbatch report` on the command line: its tables, a prices file, one-line errors."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from repo_paths import REPO
from report_data import GOOD, invoke, write_prices


def cells(*values: str) -> str:
    """A table row as rich draws it: the values in order, between column rules."""
    return r"\s*│\s*".join(re.escape(value) for value in values)


def test_cli_prints_the_tables(out_dir: Path) -> None:
    result = invoke(str(out_dir))
    assert result.exit_code == 0, result.output + result.stderr
    output = result.output
    assert re.search(cells("pages", "page", "6", "13", "7", "6", "1"), output)
    assert re.search(cells("receipt", "document", "5", "7", "4", "3", "0"), output)
    pixtral = "scaleway / pixtral-12b-2409"
    assert re.search(cells("pages", pixtral, "3", "500,000", "43,000", "0.1086 EUR"), output)
    gemma = "gravix / gemma3:12b"
    assert re.search(cells("pages", gemma, "1", "50,000", "5,000", "unknown"), output)
    assert re.search(cells("receipt", "openai / gpt-4o-mini", "4", "10,000", "1,400"), output)
    assert "Estimated total: 0.1086 EUR + 0.0023 USD." in output
    assert re.search(cells(pixtral, "0.2", "0.2", "EUR"), output)  # the prices applied
    assert re.search(cells(gemma, "unknown", "unknown", "-"), output)
    assert re.search(
        cells("pages", "4 min 18 s", "3.3", "a request", "4", "2,500", "3,850"), output
    )
    assert re.search(
        cells("receipt", "1 min 00 s", "7.0", "a document", "3", "2,500", "4,300"), output
    )
    assert re.search(
        cells("run-b", "2026-03-01 10:01:10 UTC", "2026-03-01 10:04:23 UTC", "9"), output
    )
    reason = ("answer", "no JSON in answer N", "4", "e.pdf", "1", "no JSON in answer 1")
    assert re.search(cells(*reason), output)
    # Per document, those with errors first: e.pdf's four failed pages lead.
    assert re.search(cells("e.pdf", "4", "0", "4", "0", "-", "-", "-"), output)
    assert re.search(cells("a.pdf", "3", "3", "0", "0", "373,000", "0.0746 EUR", "3.0"), output)
    # Text from the data is printed as it is: neither rich markup nor HTML is interpreted.
    assert "not a PDF: <b>broken</b> [red]" in output
    assert re.search(cells("2026-03-01 10:04:00 UTC", "5"), output)
    assert "No price known for gravix/gemma3:12b" in output


def test_cli_uses_a_prices_file(out_dir: Path, tmp_path: Path) -> None:
    path = write_prices(tmp_path, [{**GOOD, "provider": "gravix", "model": "gemma3:12b"}])
    result = invoke(str(out_dir), "--prices", str(path))
    assert result.exit_code == 0, result.output + result.stderr
    # 50,000 prompt tokens at 1 EUR/M + 5,000 completion tokens at 2 EUR/M.
    gemma = "gravix / gemma3:12b"
    assert re.search(cells("pages", gemma, "1", "50,000", "5,000", "0.0600 EUR"), result.output)
    assert re.search(cells(gemma, "1", "2", "EUR"), result.output)
    assert "Estimated total: 0.1686 EUR + 0.0023 USD." in result.output


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda out, tmp: [str(tmp / "empty")], "empty does not exist"),
        (
            lambda out, tmp: [
                str(out),
                "--prices",
                str(write_prices(tmp, [{**GOOD, "currency": 1}])),
            ],
            "entry 1: currency: Input should be a valid string",
        ),
        (
            lambda out, tmp: [str(out), "--html", str(tmp / "no" / "such" / "dir" / "r.html")],
            "cannot write",
        ),
    ],
)
def test_cli_errors_are_one_line_and_exit_1(
    out_dir: Path, tmp_path: Path, make_args, message: str
) -> None:
    result = invoke(*make_args(out_dir, tmp_path))
    assert result.exit_code == 1
    assert result.stderr.startswith("visionbatch: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_control_characters_from_the_data_never_reach_the_terminal(tmp_path: Path) -> None:
    """A file name or an error text with escape sequences would retitle, clear or recolour
    the terminal: they are printed as their escapes."""
    from report_data import page_row, write_parts

    from flows.terminal.text import printable

    evil_name = "inbox/\x1b]0;owned\x07\x1b[2Jscan\x9b31m.pdf"
    rows = [
        page_row(
            evil_name, 1, 5, "run-a", error="bad \x1b[31mred\x1b[0m answer", category="answer"
        ),
        page_row("ok.pdf", 1, 6, "run-a", request="r1", prompt=10, completion=5, latency=100),
    ]
    write_parts(tmp_path / "out" / "pages", "part-a", rows)
    result = invoke(str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    for control in ("\x1b", "\x07", "\x9b"):
        assert control not in result.output
    assert "\\x1b]0;owned\\x07" in result.output and "bad \\x1b[31mred" in result.output
    assert printable("tab\tand\nnewline stay") == "tab\tand\nnewline stay"


def invoke_run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows", "run", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_error_line_escapes_what_it_quotes(tmp_path: Path) -> None:
    missing = tmp_path / "no\x1b[2Jsuch.pdf"
    completed = invoke_run(str(missing), "--out", str(tmp_path / "out"))
    assert completed.returncode == 1
    assert "\x1b" not in completed.stderr and "no\\x1b[2Jsuch.pdf" in completed.stderr
