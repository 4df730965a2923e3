"""`visionbatch report`'s figures, computed from real part files of two runs."""

from pathlib import Path

import pytest
from report_data import SCRIPT_ERROR, at, dataset, page_row, write_parts

from extractors.report.build import build_report
from extractors.report.pricing import DEFAULT_PRICES, Price
from extractors.report.run_report import HistogramBin, MinuteCount
from extractors.sink.compaction import compact
from extractors.sink.store import PAGES


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


def test_errors_by_reason_each_with_its_count_and_an_example(out_dir: Path) -> None:
    pages = dataset(build_report(out_dir, DEFAULT_PRICES), PAGES)
    summary = [
        (g.category, g.reason, g.count, [(e.source, e.page, e.error) for e in g.examples])
        for g in pages.errors
    ]
    assert summary == [
        ("answer", "no JSON in answer N", 4, [("e.pdf", 1, "no JSON in answer 1")]),
        # Not the superseded "read timeout".
        (
            "endpoint",
            "HTTP 500 from URL: <script>alert(N)</script>",
            1,
            [("b.pdf", 3, SCRIPT_ERROR)],
        ),
        (
            "source",
            "not a PDF: <b>broken</b> [red]",
            1,
            [("d.pdf", None, "not a PDF: <b>broken</b> [red]")],
        ),
    ]


def test_every_reason_of_a_category_is_listed(tmp_path: Path) -> None:
    errors = [
        ("a.pdf", 1, "invalid answer: the answer is not valid JSON (no JSON object)"),
        ("a.pdf", 2, "invalid answer: the answer is not valid JSON (no JSON object)"),
        ("b.pdf", 1, "invalid answer: total: not a number"),
        ("c.pdf", 1, "not a receipt: 40 of 104 lines are running text"),
        ("d.pdf", 1, "not a receipt: 12 of 30 lines are running text"),
        ("e.pdf", 1, "not a receipt: 12 of 30 lines are running text"),
    ]
    rows = [
        page_row(source, page, index, "run-a", error=error, category="answer")
        for index, (source, page, error) in enumerate(errors)
    ]
    write_parts(tmp_path / PAGES, "run-a", rows)
    pages = dataset(build_report(tmp_path, DEFAULT_PRICES), PAGES)
    assert [(g.reason, g.count, g.examples[0].source) for g in pages.errors] == [
        ("not a receipt: N of N lines are running text", 3, "c.pdf"),
        ("invalid answer: the answer is not valid JSON (no JSON object)", 2, "a.pdf"),
        ("invalid answer: total: not a number", 1, "b.pdf"),
    ]
    assert sum(g.count for g in pages.errors) == len(errors)


def test_one_line_per_document_errors_first(out_dir: Path) -> None:
    pages = dataset(build_report(out_dir, DEFAULT_PRICES), PAGES)
    lines = {line.source: line for line in pages.documents_table}
    assert [line.source for line in pages.documents_table][:3] == ["e.pdf", "b.pdf", "d.pdf"]
    assert len(lines) == pages.documents == 6
    a = lines["a.pdf"]
    # r1 (two pages, 1000 ms once) and r2 (2000 ms): tokens of three page shares.
    assert (a.pages, a.ok, a.errors, a.warnings) == (3, 3, 0, 0)
    assert a.tokens == 120_000 + 10_000 + 130_000 + 15_000 + 90_000 + 8_000
    assert a.latency_ms == 3000.0 and a.currency == "EUR" and not a.self_hosted
    b = lines["b.pdf"]
    # p2 failed in run-a, then r3 answered p1 and p2 in run-b; p3 failed.
    assert (b.pages, b.ok, b.errors, b.tokens, b.latency_ms) == (3, 2, 1, 170_000, 3000.0)
    # A copy of a.pdf: its stored row costs nothing again.
    f = lines["f.pdf"]
    assert (f.ok, f.tokens, f.latency_ms) == (1, None, None)
    d = lines["d.pdf"]
    assert (d.pages, d.ok, d.errors, d.tokens, d.cost) == (1, 0, 1, None, None)
    c = lines["c.png"]
    assert c.tokens == 55_000 and c.cost is None  # gravix has no price


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
