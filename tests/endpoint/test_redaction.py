"""A key echoed back by the endpoint in any of its usual encodings is stored in none of them."""

import base64
from pathlib import Path

import pytest
from chat_server import ChatServer, status
from harness import run
from key_forms import echoed_forms, forms_found
from markers import make_marked_image
from page_checks import read_pages

from extractors.answer.catalog import resolve_schema
from extractors.endpoint.client import EndpointClient
from extractors.endpoint.prompt import Prompt
from extractors.endpoint.redaction import KeyRedactor
from extractors.options import EndpointOptions
from flows.options.config import Secrets

KEY = "sk-RedTeam-4f3e2d1c0B9a-8877665544332211"


def test_no_echoed_form_of_the_key_reaches_rows_or_output(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    forms = echoed_forms(KEY)
    inputs = tmp_path / "in"
    inputs.mkdir()
    for number in range(1, len(forms) + 1):
        make_marked_image(inputs / f"img_{number}.png", number, size=(200, 260))
    with ChatServer(api_key=KEY) as server:
        # One refusal per page, each echoing the key in one form.
        server.inject(
            *[status(400, message=f"bad key {form}; check it") for form in forms.values()]
        )
        run(
            [inputs],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            concurrency=1,
            secrets=Secrets(api_key=KEY),
        )
        assert all(r.authorization == f"Bearer {KEY}" for r in server.requests)
    df = read_pages(tmp_path / "out")
    assert df.height == len(forms) and df["status"].unique().to_list() == ["error"]
    assert sorted(df["error"].to_list()) == [
        "HTTP 400: Error code: 400 - bad key ***; check it"
    ] * len(forms)
    every_cell = "\n".join(str(v) for row in df.iter_rows() for v in row)
    assert forms_found(KEY, every_cell) == []
    written = b"".join(p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert forms_found(KEY, written) == []
    captured = capfd.readouterr()
    assert forms_found(KEY, captured.out + captured.err) == []


@pytest.mark.parametrize("name", sorted(echoed_forms(KEY)))
def test_the_redactor_blanks_each_form(name: str) -> None:
    client = EndpointClient(
        EndpointOptions(base_url="http://127.0.0.1:9/v1", model="m", api_key=KEY),
        Prompt(resolve_schema("page_text")),
    )
    form = echoed_forms(KEY)[name]
    assert client.redact(f"Unauthorized: {form}.") == "Unauthorized: ***."


def test_the_redactor_leaves_ordinary_text_alone() -> None:
    client = EndpointClient(
        EndpointOptions(base_url="http://127.0.0.1:9/v1", model="m", api_key=KEY),
        Prompt(resolve_schema("page_text")),
    )
    text = "sk- keys start so; 4f3e and c2stcmVk are not keys; Basic dXNlcjpwYXNz"
    assert client.redact(text) == text


def test_a_key_echoed_in_an_invalid_document_answer_is_not_kept_in_raw_answer(
    tmp_path: Path,
) -> None:
    """The raw answer of a document that failed validation is kept, but never the key."""
    from markers import make_marked_image

    from flows.options.config import Secrets

    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_image(folder / "r.png", 1)
    with ChatServer(api_key=KEY, document_answer=lambda _: f"I cannot: your key {KEY} x") as server:
        run(
            [folder],
            tmp_path / "out",
            secrets=Secrets(api_key=KEY),
            base_url=server.base_url,
            model="m",
            schema_name="receipt",
        )
    import polars as pl

    row = pl.read_parquet(tmp_path / "out" / "receipt").row(0, named=True)
    assert row["status"] == "error" and "I cannot: your key" in row["raw_answer"]
    assert KEY not in row["raw_answer"]


@pytest.mark.timeout(60)
def test_a_long_base64_text_is_redacted_in_one_pass() -> None:
    # A regex with a leading `[...]*` took 110 s on 80 kB of base64 (quadratic); a page image
    # echoed back is megabytes of it. Two megabytes must take far less than the minute allowed.
    key = "sk-live-0123456789abcdefXYZ"
    echoed = base64.b64encode(b"\x89PNG" + bytes(range(256)) * 6_000).decode()
    basic = base64.b64encode(f"user:{key}".encode()).decode()
    text = f"{echoed} Authorization: Basic {basic} {echoed}"
    redacted = KeyRedactor(key)(text)
    assert basic not in redacted and redacted.count("***") == 1
    assert redacted.startswith(echoed[:1_000]) and len(redacted) > 2 * len(echoed)
