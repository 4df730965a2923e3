"""`visionbatch report --html`: one self-contained page, escaped, that a browser opens."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_data import GOOD, invoke, page_row, write_parts, write_prices

from extractors.sink.store import PAGES

# What would make a browser fetch something: in a tag, a src/href/... to anything but "#id", a
# CSS url() to anything but "#id", or a <link>, <script>, <iframe>... tag; in the style sheet,
# url() or @import. Text, escaped, fetches nothing even when it mentions a URL.
TAG = re.compile(r"<[^<>]*>")
FETCHING_ATTRIBUTE = re.compile(
    r"""\b(?:src|srcset|href|action|poster|data)\s*=\s*["']?\s*(?!#)|url\(\s*["']?\s*(?!#)""",
    re.IGNORECASE,
)
FETCHING_TAG = re.compile(r"<(?:link|script|iframe|object|embed|img|image|use)\b", re.IGNORECASE)


# A picture inlined as a data URL (the pages of rows to check) is part of the page.
INLINE_PICTURE = re.compile(
    r'<(?:img|image)\s(?:[^<>"]|"[^"]*")*?\b(?:src|href)="data:image/[^"]*"'
)


def external_references(page: str) -> list[str]:
    tags = [
        tag
        for tag in TAG.findall(page)
        if (FETCHING_ATTRIBUTE.search(tag) or FETCHING_TAG.match(tag))
        and not (INLINE_PICTURE.match(tag) and len(FETCHING_ATTRIBUTE.findall(tag)) == 1)
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
        ('<image href="data:image/jpeg;base64,/9j/" width="200" height="259"/>', False),
        ('<image href="data:image/jpeg;base64,/9j/" src="https://x/y.png"/>', True),
        ('<image href="https://x/y.jpg" width="200"/>', True),
        ('<script src="data:image/png;base64,AAAA"></script>', True),
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


def offline_dataset(out: Path) -> None:
    """An embedded-engine run: answered pages with no tokens, and errors of four reasons."""
    local = {"provider": "local", "model": "local-ocr"}
    rows = [
        page_row(f"scan{n}.png", 1, n, "run-o", request=f"o{n}", latency=800.0, **local)
        for n in range(5)
    ]
    errors = [
        ("letter.pdf", 1, "not a receipt: 40 of 104 lines are running text", "answer"),
        ("memo.pdf", 1, "not a receipt: 12 of 30 lines are running text", "answer"),
        ("memo.pdf", 2, "invalid answer: total: not a number", "answer"),
        ("cyrillic.png", 1, "script not supported by the embedded engine: Cyrillic", "answer"),
        ("broken.pdf", None, "not a PDF: format error", "source"),
    ]
    rows += [
        page_row(source, page, 10 + index, "run-o", error=error, category=category, **local)
        for index, (source, page, error, category) in enumerate(errors)
    ]
    write_parts(out / PAGES, "run-o", rows)


def chromium_dom(page: Path, profile: Path) -> str:
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_an_offline_report_draws_no_token_chart(tmp_path: Path) -> None:
    offline_dataset(tmp_path / "out")
    page = html_of(tmp_path / "out", tmp_path)
    assert "Tokens by model" not in page and "Estimated cost by model" not in page
    assert page.count("<svg") == 2  # throughput and latency only
    assert "embedded engine: no tokens" in page and "had no usage" not in page
    assert '<td>pages</td><td>local / local-ocr</td><td class="num">5</td>' in page


@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)"
)
def test_every_error_reason_and_every_document_show_in_chromium(tmp_path: Path) -> None:
    offline_dataset(tmp_path / "out")
    html_of(tmp_path / "out", tmp_path)
    dom = chromium_dom(tmp_path / "report.html", tmp_path / "profile")
    errors = re.search(r"<caption>pages: errors</caption>.*?</table>", dom, re.DOTALL)
    assert errors is not None
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td class=\"num\">(\d+)</td>", errors[0])
    # Every reason, most frequent first, with its count: nothing hidden behind the first one.
    assert rows == [
        ("answer", "not a receipt: N of N lines are running text", "2"),
        ("answer", "invalid answer: total: not a number", "1"),
        ("answer", "script not supported by the embedded engine: Cyrillic", "1"),
        ("source", "not a PDF: format error", "1"),
    ]
    documents = re.search(r"<caption>pages: documents</caption>.*?</table>", dom, re.DOTALL)
    assert documents is not None
    sources = re.findall(r"<tr><td>([^<]*)</td>", documents[0])
    # Those with errors first (memo.pdf has two), then the ok scans by name.
    assert sources[0] == "memo.pdf" and len(sources) == 9
    assert sources[-5:] == [f"scan{n}.png" for n in range(5)]
    scan = re.search(r"<tr><td>scan0\.png</td>(.*?)</tr>", documents[0])
    assert scan is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", scan[1])
    assert cells == ["1", "1", "0", "0", "-", "-", "0.8"]
    assert "Tokens by model" not in dom and "embedded engine: no tokens" in dom
