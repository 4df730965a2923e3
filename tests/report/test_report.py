"""`visionbatch report`: figures computed from real part files, the terminal tables, the HTML."""

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
import typer
from click.testing import Result
from typer.testing import CliRunner

from extractors.document.document_rows import DocumentRow
from extractors.errors import PriceFileError, ReportError
from extractors.report.build import (
    DatasetReport,
    HistogramBin,
    MinuteCount,
    RunReport,
    build_report,
)
from extractors.report.html import html_report
from extractors.report.pricing import DEFAULT_PRICES, Price, load_prices
from extractors.sink.compaction import compact
from extractors.sink.lock import LOCK_NAME
from extractors.sink.parts import PartWriter, Record
from extractors.sink.store import PAGES
from flows.report_command import report
from schemas import (
    PAGE_ROW_ARROW_SCHEMA,
    DocumentProvenance,
    PageRow,
    Receipt,
    document_arrow_schema,
)

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
SCRIPT_ERROR = "HTTP 500 from https://api.example.test/v1: <script>alert(1)</script>"


def page_row(
    source: str,
    page: int | None,
    seconds: int,
    run: str,
    *,
    request: str | None = None,
    prompt: int | None = None,
    completion: int | None = None,
    latency: float | None = None,
    error: str | None = None,
    category: str | None = None,
    provider: str = "scaleway",
    model: str = "pixtral-12b-2409",
    sha: str | None = None,
) -> PageRow:
    ok = error is None
    return PageRow(
        source=source,
        source_sha256=sha or f"sha-{source}",
        source_format="pdf",
        page=page,
        page_count=None if page is None else 4,
        status="ok" if ok else "error",
        text=f"text of {source} p{page}" if ok else None,
        error=error,
        error_category=category,
        model=model,
        provider=provider,
        schema_name="page_text",
        schema_version="v1",
        prompt_version="p1",
        request_id=request,
        request_images=1 if request else None,
        attempts=1,
        prompt_tokens=prompt,
        completion_tokens=completion,
        image_tokens=1000,
        width=800,
        height=1000,
        latency_ms=latency,
        run_id=run,
        extracted_at=T0 + timedelta(seconds=seconds),
    )


def write_parts(
    dataset_dir: Path,
    name: str,
    rows: Sequence[Record],
    schema: pa.Schema = PAGE_ROW_ARROW_SCHEMA,
) -> None:
    """The rows as one part file, written by the runs' own writer."""
    dataset_dir.mkdir(parents=True, exist_ok=True)
    writer = PartWriter(dataset_dir, name, schema=schema)
    writer.add(rows)
    writer.flush()


def page_dataset(out: Path) -> None:
    """Two runs of `DIR/pages/`; the figures the tests expect are worked out beside each row."""
    run_a = [
        # Superseded by b.pdf p2's ok row in run-b: an outcome no more, but work done at 10:00.
        page_row("b.pdf", 2, 5, "run-a", error="read timeout", category="endpoint"),
        # Request r1 answered a.pdf pages 1 and 2: each row has its share of the tokens.
        page_row(
            "a.pdf", 1, 10, "run-a", request="r1", prompt=120_000, completion=10_000, latency=1000
        ),
        page_row(
            "a.pdf", 2, 10, "run-a", request="r1", prompt=130_000, completion=15_000, latency=1000
        ),
        page_row(
            "d.pdf", None, 20, "run-a", error="not a PDF: <b>broken</b> [red]", category="source"
        ),
        page_row(
            "a.pdf", 3, 50, "run-a", request="r2", prompt=90_000, completion=8_000, latency=2000
        ),
    ]
    run_b = [
        page_row(
            "b.pdf", 1, 70, "run-b", request="r3", prompt=80_000, completion=6_000, latency=3000
        ),
        page_row(
            "b.pdf", 2, 70, "run-b", request="r3", prompt=80_000, completion=4_000, latency=3000
        ),
        page_row("b.pdf", 3, 75, "run-b", error=SCRIPT_ERROR, category="endpoint"),
        # A copy of a.pdf found at another path: the stored row of r1, repeated, costs nothing.
        page_row(
            "f.pdf",
            1,
            80,
            "run-b",
            request="r1",
            prompt=120_000,
            completion=10_000,
            latency=1000,
            sha="sha-a.pdf",
        ),
        page_row(
            "c.png",
            1,
            250,
            "run-b",
            request="r4",
            prompt=50_000,
            completion=5_000,
            latency=4000,
            provider="gravix",
            model="gemma3:12b",
        ),
        *[
            page_row(
                "e.pdf",
                page,
                259 + page,
                "run-b",
                error=f"no JSON in answer {page}",
                category="answer",
            )
            for page in (4, 2, 3, 1)
        ],
    ]
    write_parts(out / PAGES, "run-a", run_a)
    write_parts(out / PAGES, "run-b", run_b)


def document_row(
    source: str,
    pages: int | None,
    seconds: int,
    requests: list[str],
    *,
    prompt: int | None = None,
    completion: int | None = None,
    latency: float = 0.0,
    error: str | None = None,
    category: str | None = None,
    sha: str | None = None,
) -> DocumentRow:
    ok = error is None
    provenance = DocumentProvenance(
        source=source,
        source_sha256=sha or f"sha-{source}",
        source_format="jpeg",
        page_count=pages,
        pages=list(range(1, (pages or 0) + 1)),
        status="ok" if ok else "error",
        error=error,
        error_category=category,
        raw_answer=None if ok else '{"total": "twelve"}',
        chunks=len(requests),
        merge_conflicts=[],
        model="gpt-4o-mini",
        provider="openai",
        schema_name="receipt",
        schema_version="r1",
        prompt_version="p1",
        request_ids=requests,
        attempts=len(requests),
        prompt_tokens=prompt,
        completion_tokens=completion,
        latency_ms=latency,
        run_id="run-b",
        extracted_at=T0 + timedelta(seconds=seconds),
    )
    values = Receipt(merchant_name=f"shop of {source}", total="12.50") if ok else None
    return DocumentRow(provenance, values)


def receipt_dataset(out: Path) -> None:
    """`DIR/receipt/`: one row per document; latency and tokens are the document's."""
    rows = [
        document_row("r1.jpg", 1, 30, ["q1"], prompt=2000, completion=300, latency=1500),
        document_row("r2.pdf", 2, 40, ["q2", "q3"], prompt=5000, completion=700, latency=4500),
        document_row(
            "r3.pdf",
            3,
            45,
            ["q4"],
            prompt=3000,
            completion=400,
            latency=2500,
            error="total: not a number",
            category="answer",
        ),
        # Failed before any request: no tokens, and the 0.0 latency of no request is no sample.
        document_row("r4.heic", None, 46, [], error="cannot decode HEIC", category="source"),
        # A copy of r1.jpg at another path: its stored row, request and tokens again.
        document_row(
            "r5.jpg", 1, 90, ["q1"], prompt=2000, completion=300, latency=1500, sha="sha-r1.jpg"
        ),
    ]
    write_parts(out / "receipt", "run-b", rows, schema=document_arrow_schema(Receipt))


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """A DIR as runs leave it, with a lock file and a half-written part that must be ignored."""
    out = tmp_path / "out"
    page_dataset(out)
    receipt_dataset(out)
    (out / LOCK_NAME).write_text("")
    (out / PAGES / ".tmp-part-run-c-00001.parquet.partial").write_bytes(b"PAR1 half written")
    return out


def dataset(run_report: RunReport, name: str) -> DatasetReport:
    return next(d for d in run_report.datasets if d.name == name)


def at(minutes: int, seconds: int = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


# --- the figures -------------------------------------------------------------------------------


def test_page_outcomes_count_the_row_standing_for_each_page(out_dir: Path) -> None:
    pages = dataset(build_report(out_dir, DEFAULT_PRICES), PAGES)
    assert (pages.kind, pages.part_files, pages.stored_rows) == ("pages", 2, 14)
    # b.pdf p2 failed in run-a, then succeeded in run-b: ok once, its error row superseded.
    assert pages.superseded_rows == 1
    assert [(s.status, s.documents, s.pages) for s in pages.statuses] == [
        ("ok", 4, 7),  # a.pdf 1-3, b.pdf 1-2, c.png 1, f.pdf 1
        ("error", 3, 6),  # b.pdf 3, d.pdf (whole file), e.pdf 1-4
    ]
    assert (pages.documents, pages.pages) == (6, 13)


def test_outcomes_are_the_rows_compaction_would_keep(out_dir: Path) -> None:
    write_parts(
        out_dir / PAGES,
        "run-c",
        [
            # x.pdf failed whole, then was read: the page-less row is superseded.
            page_row("x.pdf", None, 300, "run-c", error="locked", category="source"),
            page_row("x.pdf", 1, 301, "run-c", request="r5", prompt=1, completion=1, latency=9),
            # y.pdf changed between runs: only rows of its newest content stand.
            page_row("y.pdf", 1, 302, "run-c", request="r6", prompt=1, completion=1, latency=9),
            page_row("y.pdf", 2, 302, "run-c", request="r6", prompt=1, completion=1, latency=9),
            page_row("y.pdf", 1, 310, "run-c", error="gone", category="endpoint", sha="sha-y2"),
        ],
    )
    before = dataset(build_report(out_dir, DEFAULT_PRICES), PAGES)
    assert before.superseded_rows == 1 + 1 + 2
    assert [(s.status, s.documents, s.pages) for s in before.statuses] == [
        ("ok", 5, 8),
        ("error", 4, 7),
    ]
    dropped = compact(out_dir / PAGES)
    after = dataset(build_report(out_dir, DEFAULT_PRICES), PAGES)
    assert dropped == before.superseded_rows and after.superseded_rows == 0
    assert after.statuses == before.statuses and after.errors == before.errors


def test_errors_by_category_with_three_examples_at_most(out_dir: Path) -> None:
    pages = dataset(build_report(out_dir, DEFAULT_PRICES), PAGES)
    summary = [
        (g.category, g.count, [(e.source, e.page, e.error) for e in g.examples])
        for g in pages.errors
    ]
    assert summary == [
        (
            "answer",
            4,
            [("e.pdf", page, f"no JSON in answer {page}") for page in (1, 2, 3)],
        ),
        ("endpoint", 1, [("b.pdf", 3, SCRIPT_ERROR)]),  # not the superseded "read timeout"
        ("source", 1, [("d.pdf", None, "not a PDF: <b>broken</b> [red]")]),
    ]


def test_tokens_and_cost_count_each_request_once(out_dir: Path) -> None:
    run_report = build_report(out_dir, DEFAULT_PRICES)
    usage = {(u.provider, u.model): u for u in dataset(run_report, PAGES).usage}
    assert set(usage) == {("gravix", "gemma3:12b"), ("scaleway", "pixtral-12b-2409")}
    pixtral = usage["scaleway", "pixtral-12b-2409"]
    # r1 + r2 + r3; f.pdf's copy of r1's row and the error rows add nothing.
    assert (pixtral.requests, pixtral.prompt_tokens, pixtral.completion_tokens) == (
        3,
        120_000 + 130_000 + 90_000 + 80_000 + 80_000,
        10_000 + 15_000 + 8_000 + 6_000 + 4_000,
    )
    assert pixtral.price == Price(0.20, 0.20, "EUR")
    assert pixtral.cost == pytest.approx((500_000 + 43_000) * 0.20 / 1e6)
    gemma = usage["gravix", "gemma3:12b"]
    assert (gemma.requests, gemma.prompt_tokens, gemma.completion_tokens) == (1, 50_000, 5_000)
    assert gemma.price is None and gemma.cost is None  # unknown, not 0

    (receipt,) = dataset(run_report, "receipt").usage
    # q1 + q2,q3 + q4; r5.jpg's copy of r1.jpg and r4.heic (no request) add nothing.
    assert (receipt.provider, receipt.model, receipt.requests) == ("openai", "gpt-4o-mini", 4)
    assert (receipt.prompt_tokens, receipt.completion_tokens) == (10_000, 1_400)
    assert receipt.cost == pytest.approx(10_000 * 0.15 / 1e6 + 1_400 * 0.60 / 1e6)

    totals = run_report.costs_by_currency()
    assert totals == pytest.approx({"EUR": 0.1086, "USD": 0.00234})
    assert run_report.unpriced() == (("gravix", "gemma3:12b"),)


def test_latency_percentiles_take_each_request_once(out_dir: Path) -> None:
    run_report = build_report(out_dir, DEFAULT_PRICES)
    latency = dataset(run_report, PAGES).latency
    # Requests r1..r4: 1000, 2000, 3000, 4000 ms. Linear interpolation at q * (n - 1):
    # p50 at 1.5 -> 2500; p95 at 2.85 -> 3000 + 0.85 * 1000 = 3850.
    assert (latency.unit, latency.count) == ("request", 4)
    assert latency.p50_ms == pytest.approx(2500)
    assert latency.p95_ms == pytest.approx(3850)
    # 20 bins of 150 ms from 1000 to 4000: 2000 falls in bin 6, 3000 in 13, 4000 in the last.
    assert len(latency.histogram) == 20
    assert [i for i, b in enumerate(latency.histogram) if b.count] == [0, 6, 13, 19]
    assert latency.histogram[6] == HistogramBin(1900, 2050, 1)
    assert sum(b.count for b in latency.histogram) == 4

    documents = dataset(run_report, "receipt").latency
    # Documents' request sets: 1500, 4500 (two requests summed), 2500; p95 at 1.9 -> 4300.
    assert (documents.unit, documents.count) == ("document", 3)
    assert documents.p50_ms == pytest.approx(2500)
    assert documents.p95_ms == pytest.approx(2500 + 0.9 * 2000)


def test_throughput_per_minute_wall_span_and_runs(out_dir: Path) -> None:
    run_report = build_report(out_dir, DEFAULT_PRICES)
    pages = dataset(run_report, PAGES)
    # Every row written counts, the superseded one too: it was work done at 10:00:05.
    assert pages.throughput == (
        MinuteCount(at(0), 5),
        MinuteCount(at(1), 4),
        MinuteCount(at(4), 5),
    )
    assert (pages.first_at, pages.last_at) == (at(0, 5), at(4, 23))
    assert pages.wall_seconds == 258
    assert pages.pages_per_minute == pytest.approx(14 / (258 / 60))
    assert [(r.run_id, r.started, r.finished, r.pages) for r in pages.runs] == [
        ("run-a", at(0, 5), at(0, 50), 5),
        ("run-b", at(1, 10), at(4, 23), 9),
    ]

    receipt = dataset(run_report, "receipt")
    # A document's pages: r1 1 + r2 2 + r3 3 + r4 0 (never opened) at 10:00; r5 1 at 10:01.
    assert receipt.throughput == (MinuteCount(at(0), 6), MinuteCount(at(1), 1))
    assert receipt.pages_per_minute == pytest.approx(7.0)


def test_document_dataset_counts_documents_and_their_pages(out_dir: Path) -> None:
    receipt = dataset(build_report(out_dir, DEFAULT_PRICES), "receipt")
    assert (receipt.kind, receipt.stored_rows, receipt.superseded_rows) == ("documents", 5, 0)
    assert [(s.status, s.documents, s.pages) for s in receipt.statuses] == [
        ("ok", 3, 4),
        ("error", 2, 3),
    ]
    assert [(g.category, g.count, g.examples[0].source) for g in receipt.errors] == [
        ("answer", 1, "r3.pdf"),
        ("source", 1, "r4.heic"),
    ]


# --- prices ------------------------------------------------------------------------------------


def test_default_prices_fall_back_to_the_provider_and_never_guess() -> None:
    assert DEFAULT_PRICES.price_of("openai", "gpt-4o") == Price(2.50, 10.00, "USD")
    assert DEFAULT_PRICES.price_of("openai", "gpt-4o-mini") == Price(0.15, 0.60, "USD")
    assert DEFAULT_PRICES.price_of("scaleway", "pixtral-12b-2409") == Price(0.20, 0.20, "EUR")
    # Self-hosted providers cost nothing per token, whatever the model.
    for provider in ("local", "vllm", "ollama", "openai-compatible"):
        assert DEFAULT_PRICES.price_of(provider, "any-model").cost(10**6, 10**6) == 0
    # No model entry and no provider fallback: unknown.
    assert DEFAULT_PRICES.price_of("openai", "gpt-9-vision") is None
    assert DEFAULT_PRICES.price_of("scaleway-managed", "mistral/pixtral-12b-2409:bf16") is None


def write_prices(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(document))
    return path


def test_a_prices_file_overrides_and_adds_entries(out_dir: Path, tmp_path: Path) -> None:
    prices = load_prices(
        write_prices(
            tmp_path,
            [
                {
                    "provider": "scaleway",
                    "model": "pixtral-12b-2409",
                    "input_per_million": 1,
                    "output_per_million": 3.0,
                    "currency": "eur",
                },
                {
                    "provider": "gravix",
                    "model": "*",
                    "input_per_million": 0.10,
                    "output_per_million": 0.20,
                    "currency": "USD",
                },
            ],
        )
    )
    assert prices.price_of("scaleway", "pixtral-12b-2409") == Price(1.0, 3.0, "EUR")
    assert prices.price_of("openai", "gpt-4o") == Price(2.50, 10.00, "USD")  # default kept
    run_report = build_report(out_dir, prices)
    costs = {(u.provider, u.model): u.cost for u in dataset(run_report, PAGES).usage}
    assert costs == pytest.approx(
        {
            ("scaleway", "pixtral-12b-2409"): 500_000 * 1.0 / 1e6 + 43_000 * 3.0 / 1e6,
            ("gravix", "gemma3:12b"): 50_000 * 0.10 / 1e6 + 5_000 * 0.20 / 1e6,
        }
    )
    assert run_report.unpriced() == ()


def test_a_provider_wide_override_wins_over_default_model_prices(tmp_path: Path) -> None:
    entry = {**GOOD, "provider": "openai", "model": "*", "currency": "USD"}
    prices = load_prices(write_prices(tmp_path, [entry]))
    assert prices.price_of("openai", "gpt-4o") == Price(1.0, 2.0, "USD")
    assert prices.price_of("openai", "gpt-9") == Price(1.0, 2.0, "USD")
    assert prices.price_of("scaleway", "pixtral-12b-2409") == Price(0.20, 0.20, "EUR")


def test_a_prices_file_may_be_a_mapping_of_names(tmp_path: Path) -> None:
    entry = {
        "provider": "openai",
        "model": "gpt-4o",
        "input_per_million": 1.25,
        "output_per_million": 5,
        "currency": "USD",
    }
    prices = load_prices(write_prices(tmp_path, {"negotiated gpt-4o": entry}))
    assert prices.price_of("openai", "gpt-4o") == Price(1.25, 5.0, "USD")


GOOD = {
    "provider": "p",
    "model": "m",
    "input_per_million": 1,
    "output_per_million": 2,
    "currency": "EUR",
}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            [{**GOOD, "input_per_million": -1}],
            "entry 1: input_per_million: Input should be greater",
        ),
        ([GOOD, {**GOOD, "model": "n", "currency": "euro"}], "entry 2: currency: String should"),
        ([{**GOOD, "output_per_million": "2"}], "entry 1: output_per_million: Input should be"),
        ([{k: v for k, v in GOOD.items() if k != "currency"}], "entry 1: currency: Field required"),
        ([{**GOOD, "cost": 3}], "entry 1: cost: Extra inputs are not permitted"),
        ({"mine": [GOOD]}, "entry mine: Input should be a valid dictionary"),
        ([GOOD, GOOD], "p/m priced twice"),
        ("0.20", "expected a list of prices or a mapping of name to price"),
    ],
)
def test_a_bad_prices_file_is_one_clear_line(
    tmp_path: Path, document: object, message: str
) -> None:
    with pytest.raises(PriceFileError) as raised:
        load_prices(write_prices(tmp_path, document))
    text = str(raised.value)
    assert text.startswith(f"prices file {tmp_path / 'prices.json'}: ")
    assert message in text and "\n" not in text


def test_a_prices_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text('[{"provider": "p",}]')
    with pytest.raises(PriceFileError, match=r"not valid JSON: .* \(line 1, column 19\)"):
        load_prices(path)
    with pytest.raises(PriceFileError, match="cannot read it: No such file or directory"):
        load_prices(tmp_path / "missing.json")


# --- edges -------------------------------------------------------------------------------------


def test_nothing_to_report_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"output directory .*missing does not exist"):
        build_report(tmp_path / "missing", DEFAULT_PRICES)
    with pytest.raises(ReportError, match=r"output directory .*file.txt is not a directory"):
        (tmp_path / "file.txt").write_text("")
        build_report(tmp_path / "file.txt", DEFAULT_PRICES)
    out = tmp_path / "out"
    (out / PAGES).mkdir(parents=True)
    (out / LOCK_NAME).write_text("")
    (out / PAGES / ".tmp-part-a-00001.parquet.partial").write_bytes(b"PAR1")
    (out / PAGES / "notes.parquet").write_bytes(b"not a part file")
    with pytest.raises(ReportError, match=r"nothing to report in .*out: none of its folders"):
        build_report(out, DEFAULT_PRICES)


def test_an_unreadable_part_file_names_its_dataset(out_dir: Path) -> None:
    (out_dir / "receipt" / "part-zz-00001.parquet").write_bytes(b"garbage")
    with pytest.raises(ReportError, match=r"cannot read .*receipt: "):
        build_report(out_dir, DEFAULT_PRICES)


def test_a_single_row(tmp_path: Path) -> None:
    row = page_row(
        "a.pdf", 1, 42, "run-a", request="r1", prompt=900, completion=100, latency=1234.5
    )
    write_parts(tmp_path / PAGES, "run-a", [row])
    pages = dataset(build_report(tmp_path, DEFAULT_PRICES), PAGES)
    assert [(s.status, s.documents, s.pages) for s in pages.statuses] == [("ok", 1, 1)]
    assert pages.errors == ()
    assert (pages.latency.count, pages.latency.p50_ms, pages.latency.p95_ms) == (1, 1234.5, 1234.5)
    assert pages.latency.histogram == (HistogramBin(1234.5, 1234.5, 1),)
    assert pages.throughput == (MinuteCount(at(0), 1),)
    assert (pages.wall_seconds, pages.pages_per_minute) == (0, None)
    (usage,) = pages.usage
    assert usage.cost == pytest.approx(1000 * 0.20 / 1e6)
    page = html_report(build_report(tmp_path, DEFAULT_PRICES))
    assert page.count("<svg") == 3 and "Estimated cost by model" in page


def test_failures_only_have_no_tokens_and_no_latency(tmp_path: Path) -> None:
    rows = [
        page_row(
            "a.pdf",
            None,
            0,
            "run-a",
            error="encrypted",
            category="source",
            provider="gravix",
            model="gemma3:12b",
        ),
    ]
    write_parts(tmp_path / PAGES, "run-a", rows)
    pages = dataset(build_report(tmp_path, DEFAULT_PRICES), PAGES)
    assert [(s.status, s.pages) for s in pages.statuses] == [("error", 1)]
    assert (pages.latency.count, pages.latency.p50_ms, pages.latency.histogram) == (0, None, ())
    (usage,) = pages.usage
    assert (usage.requests, usage.prompt_tokens, usage.completion_tokens) == (0, 0, 0)
    assert usage.cost is None  # gravix has no price: unknown, even for zero tokens
    page = html_report(build_report(tmp_path, DEFAULT_PRICES))
    assert page.count("<svg") == 3 and "no latency recorded" in page
    assert "Tokens by model (cost unknown: no price for some models)" in page


# --- the command -------------------------------------------------------------------------------


def cli_app() -> typer.Typer:
    """An app with the command registered as flows/cli.py registers it."""
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Keep `report` a subcommand, as in the real CLI."""

    app.command("report")(report)
    return app


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli_app(), ["report", *args], env={"COLUMNS": "200"})


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


# --- the HTML page -----------------------------------------------------------------------------

# What would make a browser fetch something: in a tag, a src/href/... to anything but "#id", a
# CSS url() to anything but "#id", or a <link>, <script>, <iframe>... tag; in the style sheet,
# url() or @import. Text, escaped, fetches nothing even when it mentions a URL.
TAG = re.compile(r"<[^<>]*>")
FETCHING_ATTRIBUTE = re.compile(
    r"""\b(?:src|srcset|href|action|poster|data)\s*=\s*["']?\s*(?!#)|url\(\s*["']?\s*(?!#)""",
    re.IGNORECASE,
)
FETCHING_TAG = re.compile(r"<(?:link|script|iframe|object|embed|img|image|use)\b", re.IGNORECASE)


def external_references(page: str) -> list[str]:
    tags = [
        tag
        for tag in TAG.findall(page)
        if FETCHING_ATTRIBUTE.search(tag) or FETCHING_TAG.match(tag)
    ]
    # matplotlib's <use xlink:href="#id"> points inside the page: allowed, other <use> not.
    tags = [tag for tag in tags if not re.fullmatch(r'<use xlink:href="#[^"]+"[^<>]*>', tag)]
    styles = re.findall(r"<style\b[^>]*>(.*?)</style>", page, re.DOTALL | re.IGNORECASE)
    sheets = [s for s in styles if re.search(r"url\(\s*[\"']?\s*(?!#)|@import", s, re.IGNORECASE)]
    return tags + sheets


def html_of(out_dir: Path, tmp_path: Path, *args: str) -> str:
    path = tmp_path / "report.html"
    result = invoke(str(out_dir), "--html", str(path), *args)
    assert result.exit_code == 0, result.output + result.stderr
    assert f"wrote {path}" in result.output
    return path.read_text(encoding="utf-8")


def test_html_is_one_self_contained_file(out_dir: Path, tmp_path: Path) -> None:
    page = html_of(out_dir, tmp_path)
    assert page.count("<svg") == 3
    for title in ("Pages finished per minute", "Request latency", "Tokens by model"):
        assert title in page
    assert external_references(page) == []
    assert "<title>visionbatch report: " in page
    # The figures of the tables are there.
    assert "<td>pages</td><td>scaleway / pixtral-12b-2409</td>" in page
    assert '<td class="num">0.1086 EUR</td>' in page
    assert '<td class="num">3,850</td>' in page


def test_html_escapes_text_from_the_data(out_dir: Path, tmp_path: Path) -> None:
    page = html_of(out_dir, tmp_path)
    assert "<script" not in page.lower() and "<b>broken" not in page
    assert (
        "HTTP 500 from https://api.example.test/v1: &lt;script&gt;alert(1)&lt;/script&gt;" in page
    )
    assert "not a PDF: &lt;b&gt;broken&lt;/b&gt; [red]" in page


def test_html_escapes_model_names_in_charts_and_tables(tmp_path: Path) -> None:
    hostile = '<img src=x onerror="alert(1)">$x$'
    rows = [
        page_row(
            "a.pdf",
            1,
            0,
            "run-a",
            request="r1",
            prompt=10,
            completion=1,
            latency=5.0,
            model=hostile,
        )
    ]
    write_parts(tmp_path / "out" / PAGES, "run-a", rows)
    page = html_of(tmp_path / "out", tmp_path)
    assert "<img" not in page and external_references(page) == []
    # The table cell, and the chart's tick label: escaped by matplotlib, "$" kept as a dollar.
    assert "<td>scaleway / &lt;img src=x onerror=&quot;alert(1)&quot;&gt;$x$</td>" in page
    assert 'scaleway / &lt;img src=x onerror="alert(1)"&gt;$x$</text>' in page


def test_html_charts_cost_when_every_model_is_priced(out_dir: Path, tmp_path: Path) -> None:
    shutil.rmtree(out_dir / "receipt")  # USD beside EUR: no single cost axis
    priced = write_prices(tmp_path, [{**GOOD, "provider": "gravix", "model": "gemma3:12b"}])
    page = html_of(out_dir, tmp_path, "--prices", str(priced))
    assert "Estimated cost by model" in page and "estimated cost (EUR)" in page
    assert "Tokens by model" not in page


@pytest.mark.parametrize(
    ("page", "fetches"),
    [
        ('<img src="https://cdn.example/x.png">', True),
        ('<script src="app.js"></script>', True),
        ("<script>alert(1)</script>", True),
        ('<link rel="stylesheet" href="style.css">', True),
        ("<style>body { background: url(http://x/y.png) }</style>", True),
        ("<style>@import 'x.css';</style>", True),
        ('<path clip-path="url(https://x/y#c)"/>', True),
        ('<path clip-path="url(#usage-p1)"/><use xlink:href="#usage-m1" x="3"/>', False),
        ("<td>see https://api.example.test/v1 and &lt;img src=x&gt;</td>", False),
    ],
)
def test_the_self_containment_check_catches_fetches(page: str, fetches: bool) -> None:
    assert bool(external_references(page)) is fetches


CHROMIUM = shutil.which("chromium")


@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)"
)
def test_html_opens_in_headless_chromium(out_dir: Path, tmp_path: Path) -> None:
    html_of(out_dir, tmp_path)
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        (tmp_path / "report.html").as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "<title>visionbatch report: " in dom and "<h1>visionbatch report</h1>" in dom
    assert dom.count("<svg") == 3
    for title in ("Pages finished per minute", "Request latency", "Tokens by model"):
        assert title in dom
    assert "<td>scaleway / pixtral-12b-2409</td>" in dom
    assert "Uncaught" not in done.stderr and ":CONSOLE" not in done.stderr, done.stderr[-2000:]
