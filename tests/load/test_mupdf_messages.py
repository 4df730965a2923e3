"""MuPDF's messages about a page go to that page's row, never to stdout."""

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pymupdf
import pytest
from chat_server import ChatServer
from environment import without_endpoint_settings
from harness import run
from repo_paths import REPO, with_test_imports

from extractors.load.mupdf_messages import MUPDF_MESSAGE_FACTOR
from extractors.load.reader import DocumentReader
from extractors.options import RenderOptions
from extractors.records import PlannedPage, SourceFile

JUNK = "MuPDF: syntax error: unknown keyword: 'foo'"
TEXT = "The quarterly report of the harbour office lists every ship that came in. " * 3


def _junk_pdf(path: Path) -> Path:
    """Two pages of text; the first page's content stream holds an operator MuPDF does not
    know (`foo`), which it reports while reading or drawing that page."""
    document = pymupdf.open()
    for _ in range(2):
        document.new_page().insert_textbox(pymupdf.Rect(72, 72, 540, 400), TEXT, fontsize=11)
    page = document[0]
    stream = document.xref_stream(page.get_contents()[0])
    document.update_stream(page.get_contents()[0], stream + b"\nfoo 1 0 0 RG\n")
    document.save(path)
    document.close()
    return path


def test_layout_and_drawing_keep_each_page_s_messages(tmp_path: Path) -> None:
    path = _junk_pdf(tmp_path / "junk.pdf")
    reader = DocumentReader(SourceFile(str(path), "0" * 64, "pdf"), RenderOptions(), None)
    layout = reader.layout()
    drawn = [reader.render(PlannedPage(n, 300, 388, 0), False) for n in (1, 2)]
    reader.close()
    first, second = layout.text_layers
    assert first.usable and second.usable  # the text is still read, with a doubt
    notes = [doubt for doubt in first.doubts if doubt.warning.startswith("MuPDF: ")]
    assert len(notes) == 1 and notes[0].warning.startswith(JUNK)
    assert notes[0].factor == MUPDF_MESSAGE_FACTOR
    assert second.doubts == ()
    assert len(drawn[0].notes) == 1 and drawn[0].notes[0].startswith(JUNK)
    assert drawn[1].notes == ()


@pytest.mark.parametrize("text_layer", ["auto", "off"])
def test_the_page_s_row_warns_of_the_message(tmp_path: Path, text_layer: str) -> None:
    """Read from its layer (auto) or drawn and sent to a model (off), the damaged page's row
    carries MuPDF's message in its warnings, and the clean page's row does not."""
    folder = tmp_path / "in"
    folder.mkdir()
    _junk_pdf(folder / "junk.pdf")
    with ChatServer() as server:
        summary, _ = run(
            [folder], tmp_path / "out", base_url=server.base_url, model="m", text_layer=text_layer
        )
    rows = pl.read_parquet(tmp_path / "out" / "pages").sort("page")
    assert summary.pages_ok == 2
    expected = "text_layer" if text_layer == "auto" else "model"
    assert rows["text_source"].to_list() == [expected, expected]
    first, second = rows.row(0, named=True), rows.row(1, named=True)
    assert [w for w in first["warnings"] if w.startswith(JUNK)] == [first["warnings"][-1]]
    assert not any(w.startswith("MuPDF") for w in second["warnings"])
    assert first["confidence"] < second["confidence"]


@pytest.mark.slow
@pytest.mark.corpus
def test_json_stdout_is_one_document_on_a_damaged_pdf(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "cycle.pdf").write_bytes(
        (corpus / "pdfs" / "malformed_page_tree_cycle.pdf").read_bytes()
    )
    with ChatServer() as server:
        command = [
            sys.executable,
            "-m",
            "flows",
            "run",
            str(folder),
            "--out",
            str(tmp_path / "out"),
        ]
        completed = subprocess.run(
            [*command, "--base-url", server.base_url, "--model", "m", "--json"],
            cwd=REPO,
            env=with_test_imports(without_endpoint_settings()),
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert completed.returncode in (0, 1), completed.stderr[-2000:]
    summary = json.loads(completed.stdout)  # one document, nothing of MuPDF's before it
    assert summary["pages_ok"] == 1 and summary["pages_error"] == 1
    assert "MuPDF" not in completed.stdout
