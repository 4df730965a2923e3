"""`visionbatch report` on the command line: its tables, a prices file, one-line errors."""

import re
from pathlib import Path

import pytest
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
    assert re.search(cells("answer", "4", "e.pdf", "1", "no JSON in answer 1"), output)
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
