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
