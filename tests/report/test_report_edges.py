"""`visionbatch report` at the edges: nothing to report, a broken part, one row, failures only."""

from pathlib import Path

import pytest
from report_data import at, dataset, page_row, write_parts

from extractors.errors import ReportError
from extractors.report.build import build_report
from extractors.report.html import html_report
from extractors.report.pricing import DEFAULT_PRICES
from extractors.report.run_report import HistogramBin, MinuteCount
from extractors.sink.lock import LOCK_NAME
from extractors.sink.store import PAGES


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
