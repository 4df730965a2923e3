"""How many degenerate answers end flagged: the catch rate of issue 24 point 2.

100 pages (ten 10-page PDFs, each page a marked scan under an invisible Latin OCR layer, so that
the page's script is known) against the test chat server, 4 images a request, through the
pipeline's stages (tests/harness.run, no Prefect). The server answers each request's last page
degenerately with probability 0.6 (0.1 each: a phrase loop, a table-row loop, a loop cut at the
token limit, a refusal, an empty text, a Russian text), re-asks included. Run once fault-free
(the requests a clean run makes) and once with the faults.

Prints: the degenerate answers injected (by kind), how each ended (the final row of its page:
`error`, `ok` with a warning, `ok` with no warning: the goal is 0), clean pages that got a
warning anyway, and the extra requests spent. Then the checks' false alarms on honest text: the
corpus PDFs' text layers (first 5 pages of each) run through the detector.

    .venv/bin/python benchmarks/degenerate.py
"""

import collections
import io
import sys
import tempfile
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "support"))

import pymupdf  # noqa: E402
from chat_server import DEGENERATE_KINDS, ChatServer  # noqa: E402
from harness import run  # noqa: E402
from markers import encode_value, marked_image  # noqa: E402

from extractors.answer.degenerate import page_findings  # noqa: E402
from extractors.load.scripts import main_script  # noqa: E402

DOCUMENTS, PAGES = 10, 10
RATE = 0.6
SEED = 11
LINE = "Quarterly report of the board: revenue, costs and the outlook by region"
CORPUS = REPO.parent / "shared" / "corpus" / "pdfs"


def make_inputs(folder: Path) -> None:
    """Ten PDFs of marked scans under an invisible Latin OCR layer (verdict `ocr_layer`)."""
    folder.mkdir(parents=True)
    for doc in range(1, DOCUMENTS + 1):
        document = pymupdf.open()
        for number in range(1, PAGES + 1):
            page = document.new_page(width=612, height=792)
            buffer = io.BytesIO()
            marked_image(encode_value(doc, number)).save(buffer, format="PNG")
            page.insert_image(page.rect, stream=buffer.getvalue())
            for line in range(12):
                page.insert_text((72, 90 + 18 * line), LINE, fontsize=10, render_mode=3)
        document.save(folder / f"doc_{doc}.pdf")
        document.close()


def extract(inputs: Path, out: Path, rates: dict[str, float]) -> ChatServer:
    with ChatServer(fault_rates=rates, seed=SEED) as server:
        run([inputs], out, base_url=server.base_url, model="m", max_images=4)
    return server


def final_rows(out: Path) -> dict[tuple[int, int], dict[str, object]]:
    """(document, page) -> its row."""
    rows = pl.read_parquet(out / "pages").to_dicts()
    return {(int(Path(str(r["source"])).stem.split("_")[1]), int(r["page"])): r for r in rows}


def injected(server: ChatServer) -> list[tuple[str, tuple[int, int]]]:
    """(kind, (document, page)) of every degenerate answer the server gave."""
    found = []
    for record in server.requests:
        kind = record.fault.kind if record.fault is not None else None
        if kind in DEGENERATE_KINDS and record.status == 200 and record.marker_values:
            value = record.marker_values[-1]
            if value is not None:
                found.append((kind, (value // 256, value % 256)))
    return found


def outcome(row: dict[str, object]) -> str:
    if row["status"] == "error":
        return "error"
    return "ok, warned" if row["warnings"] else "ok, NO WARNING"


def catch_rate() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "in"
        make_inputs(inputs)
        clean = extract(inputs, Path(tmp) / "clean", {})
        kinds = sorted(DEGENERATE_KINDS)
        faulty = extract(inputs, Path(tmp) / "faulty", {k: RATE / len(kinds) for k in kinds})
        rows = final_rows(Path(tmp) / "faulty")
    answers = injected(faulty)
    by_kind: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for kind, page in answers:
        by_kind[kind][outcome(rows[page])] += 1
    total = collections.Counter(outcome(rows[page]) for _, page in answers)
    hit = {page for _, page in answers}
    false_alarms = sum(1 for page, row in rows.items() if page not in hit and row["warnings"])
    caught = total["error"] + total["ok, warned"]
    print(f"pages: {len(rows)}; degenerate answers injected: {len(answers)}")
    for kind in kinds:
        print(f"  {kind:13} {sum(by_kind[kind].values()):3}  {dict(by_kind[kind])}")
    print(f"caught: {caught}/{len(answers)} ({caught / max(1, len(answers)):.0%})")
    print(f"  ended error: {total['error']}, ok with a warning: {total['ok, warned']}")
    print(f"  ended ok with no warning: {total['ok, NO WARNING']} (goal 0)")
    print(f"clean pages with a warning: {false_alarms} of {len(rows) - len(hit)}")
    extra = faulty.request_count - clean.request_count
    print(
        f"requests: {clean.request_count} fault-free, {faulty.request_count} with the faults "
        f"(+{extra}, {extra / max(1, len(answers)):.2f} per degenerate answer)"
    )


def false_alarms_on_corpus() -> None:
    """The checks on honest text: every corpus PDF's text layer (up to 5 pages each)."""
    if not CORPUS.is_dir():
        print("corpus not found: false alarms on honest layers not measured")
        return
    pages, alarms = 0, []
    for path in sorted(CORPUS.glob("*.pdf")):
        try:
            document = pymupdf.open(path)
            texts = [] if document.needs_pass else [p.get_text() for p in document.pages(0, 5)]
        except Exception:  # noqa: BLE001 - the corpus's broken files: not honest text to check
            continue
        for number, text in enumerate(texts, start=1):
            if sum(c.isalnum() for c in text) < 20:
                continue
            pages += 1
            # Ink 0: the empty check needs a drawn page; the layer's own script as the page's.
            found = page_findings(text, 0.0, main_script(text))
            alarms += [(path.name, number, f.detail[:60]) for f in found]
    print(f"honest text layers checked: {pages} pages; findings: {len(alarms)}")
    for alarm in alarms:
        print("  ", alarm)


if __name__ == "__main__":
    catch_rate()
    false_alarms_on_corpus()
