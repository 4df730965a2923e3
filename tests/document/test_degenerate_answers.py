"""Degenerate answers (issue 24, point 2) end to end against the test chat server: each is
asked again once with other sampling, then kept with a warning or made an error row."""

import io
from pathlib import Path

import polars as pl
import pymupdf
import pytest
from chat_server import ChatServer
from chat_server.answers import REFUSAL
from harness import run
from markers import encode_value, make_marked_pdf, marked_image

from extractors.document.answer_checks import unread_script, unread_script_doubt
from extractors.document.answered_rows import AnsweredRows
from extractors.document.page_rows import PageRowBuilder
from extractors.endpoint.providers import LOCAL
from extractors.endpoint.resampling import RESAMPLE_TEMPERATURES
from extractors.plan.profiles.registry import get_profile
from extractors.records import RowContext, TextLayer
from extractors.trust import Doubt
from schemas import TextLayerVerdict

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
LATIN_LINE = "The quarterly report of the board, revenue and costs by region"


def _rows(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "pages").sort("page")


@pytest.fixture
def three_pages(tmp_path: Path) -> Path:
    """Three marked pages (doc 1): one request; the faults hit its last page."""
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_pdf(folder / "doc.pdf", 1, 3)
    return folder


def _extract(folder: Path, out: Path, *faults: str, **options: object) -> ChatServer:
    with ChatServer() as server:
        server.inject(*faults)
        run([folder], out, base_url=server.base_url, model="m", **options)
    return server


def test_a_clean_page_is_asked_once_and_has_no_warning(three_pages: Path, tmp_path: Path) -> None:
    server = _extract(three_pages, tmp_path / "out")
    rows = _rows(tmp_path / "out")
    assert server.request_count == 1
    assert rows["status"].to_list() == ["ok"] * 3
    assert rows["warnings"].to_list() == [[], [], []]
    assert rows["confidence"].to_list() == pytest.approx([0.9] * 3)  # the model's prior


@pytest.mark.parametrize(
    ("fault", "note"),
    [
        ("loop", "asked again after a repetition loop"),
        ("loop_rows", "asked again after a repetition loop"),
        ("refusal", "asked again after a refusal"),
        ("blank_text", "asked again after an empty answer"),
    ],
)
def test_a_degenerate_page_is_asked_again_with_other_sampling(
    three_pages: Path, tmp_path: Path, fault: str, note: str
) -> None:
    server = _extract(three_pages, tmp_path / "out", fault, seed=7)
    first, second = server.requests
    rows = _rows(tmp_path / "out")
    assert first.n_images == 3 and second.n_images == 1  # the degenerate page alone
    assert second.marker_values == [encode_value(1, 3)]
    assert first.temperature == 0.0 and second.temperature == RESAMPLE_TEMPERATURES[0]
    assert first.seed == 7 and second.seed == 8
    assert rows["status"].to_list() == ["ok"] * 3
    assert rows["text"].to_list()[2] == "marker 1-3"  # the clean second answer kept
    assert rows["warnings"].to_list() == [[], [], [note]]
    assert rows["confidence"].to_list()[2] == pytest.approx(0.81)


def test_a_loop_twice_is_kept_with_its_warning(three_pages: Path, tmp_path: Path) -> None:
    server = _extract(three_pages, tmp_path / "out", "loop", "loop")
    rows = _rows(tmp_path / "out")
    assert server.request_count == 2
    page = rows.row(2, named=True)
    assert page["status"] == "ok" and page["text"].startswith("marker 1-3 | Total | 0.00 |")
    assert page["warnings"][0].startswith("repetition loop: '| Total | 0.00 |")
    assert page["warnings"][1] == "asked again after a repetition loop"
    assert page["confidence"] == pytest.approx(0.9 * 0.3 * 0.9)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("refusal", f"no usable answer: the model refused ({REFUSAL!r}) (asked twice)"),
        ("blank_text", "no usable answer: empty answer for a page with ink (2"),
    ],
)
def test_nothing_usable_twice_is_an_error_row(
    three_pages: Path, tmp_path: Path, fault: str, error: str
) -> None:
    server = _extract(three_pages, tmp_path / "out", fault, fault)
    rows = _rows(tmp_path / "out")
    assert server.request_count == 2
    assert rows["status"].to_list() == ["ok", "ok", "error"]
    page = rows.row(2, named=True)
    assert page["error"].startswith(error) and page["error_category"] == "answer"
    assert page["text"] is None and page["attempts"] == 2


def test_a_loop_cut_at_the_token_limit_is_asked_again_resampled(
    three_pages: Path, tmp_path: Path
) -> None:
    server = _extract(three_pages, tmp_path / "out", "loop_cut")
    rows = _rows(tmp_path / "out")
    first, second = server.requests
    assert first.n_images == 3 and second.marker_values == [encode_value(1, 3)]
    assert second.temperature == RESAMPLE_TEMPERATURES[0]
    assert rows["status"].to_list() == ["ok"] * 3 and rows["text"][2] == "marker 1-3"
    assert rows["warnings"][:2].to_list() == [[], []]  # whole items before the cut
    assert rows["warnings"][2].to_list() == [
        "asked again after an answer cut off at the token limit"
    ]


def _ocr_layer_pdf(path: Path, line: str) -> None:
    """Two scans (marked images, doc 2) under an invisible OCR layer of `line`."""
    document = pymupdf.open()
    for page_number in (1, 2):
        page = document.new_page(width=612, height=792)
        buffer = io.BytesIO()
        marked_image(encode_value(2, page_number)).save(buffer, format="PNG")
        page.insert_image(page.rect, stream=buffer.getvalue())
        page.insert_font(fontname="dejavu", fontfile=str(DEJAVU))
        for n in range(12):
            page.insert_text((72, 90 + 18 * n), line, fontsize=10, fontname="dejavu", render_mode=3)
    document.save(path)
    document.close()


@pytest.mark.skipif(not DEJAVU.exists(), reason="needs DejaVu Sans")
def test_an_answer_in_another_script_than_the_layer_is_asked_again(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _ocr_layer_pdf(folder / "scan.pdf", LATIN_LINE)
    server = _extract(folder, tmp_path / "out", "wrong_script", "wrong_script")
    rows = _rows(tmp_path / "out")
    assert rows["text_layer"].to_list() == ["ocr_layer", "ocr_layer"]
    assert server.request_count == 2 and server.requests[1].n_images == 1
    page = rows.row(1, named=True)
    assert page["status"] == "ok"
    assert page["warnings"] == [
        "answer in Cyrillic for a page in Latin",
        "asked again after an answer in another script",
    ]
    assert rows["warnings"][0].to_list() == []


@pytest.mark.parametrize(("logprob", "confidence"), [(-0.01, 0.99), (-1.5, 0.223)])
def test_the_confidence_comes_from_the_token_logprobs(
    three_pages: Path, tmp_path: Path, logprob: float, confidence: float
) -> None:
    out = tmp_path / "out"
    with ChatServer(token_logprob=logprob) as server:
        run([three_pages], out, provider="vllm", base_url=server.base_url, model="m")
    rows = _rows(out)
    assert server.request_count == 1
    assert rows["confidence"].to_list() == pytest.approx([confidence] * 3, abs=1e-3)


def test_logprobs_are_asked_only_where_the_preset_says(three_pages: Path, tmp_path: Path) -> None:
    with ChatServer(token_logprob=-1.5) as server:
        run([three_pages], tmp_path / "out", base_url=server.base_url, model="m")
    # The generic preset does not ask: the server sent no figures, the prior stands.
    assert _rows(tmp_path / "out")["confidence"].to_list() == pytest.approx([0.9] * 3)


@pytest.mark.skipif(not DEJAVU.exists(), reason="needs DejaVu Sans")
def test_the_engine_keeps_a_layer_in_a_script_it_cannot_read(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _ocr_layer_pdf(folder / "scan.pdf", "Квартальный отчёт совета директоров о выручке")
    summary, _ = run([folder], tmp_path / "out", provider="local")
    rows = _rows(tmp_path / "out")
    assert summary.pages_ok == 2
    assert rows["text_source"].to_list() == ["text_layer", "text_layer"]  # nothing sent
    assert rows["text"][0].startswith("Квартальный отчёт")
    assert rows["warnings"][0].to_list() == [
        "script not supported by the embedded engine: Cyrillic; the text layer was kept"
    ]
    assert rows["confidence"][0] == pytest.approx(0.98 * 0.5)


def test_a_page_in_a_script_the_engine_cannot_read_and_no_letters_to_keep_is_doubted() -> None:
    layer = TextLayer(TextLayerVerdict.GARBLED, 40, 0.0, text="", script="Cyrillic")
    rows = AnsweredRows(PageRowBuilder(_context(LOCAL), get_profile("local-ocr")))
    assert rows.kept_layer(layer) is None  # sent: no letters of its own to keep
    assert unread_script(layer, engine=True) == "Cyrillic"
    assert unread_script(layer, engine=False) is None  # a model reads any script
    doubt = unread_script_doubt("Cyrillic", layer_kept=False)
    assert doubt == Doubt("script not supported by the embedded engine: Cyrillic", 0.2)
    latin = TextLayer(TextLayerVerdict.GARBLED, 40, 0.0, text="Uif rvbsufsmz", script="Latin")
    assert rows.kept_layer(latin) is None and unread_script(latin, engine=True) is None


def _context(provider: str) -> RowContext:
    return RowContext("run", "m", provider, "page_text", "s", "p", "o")
