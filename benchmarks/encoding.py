"""Benchmark image encodings for the data URLs sent to vision models.

Every page we send is rasterised (PDF pages) or resized (photos / scans) to the size a
Pixtral-class model keeps, longest side <= 1024 px, then encoded into a ``data:`` URL.
The encoding decides three things we care about:

* CPU time per page (the encoder runs once per page, on a small machine);
* bytes per page (request size, upload time, base64 inflates it by a further 4/3);
* fidelity, measured as PSNR (dB) of the decoded image against the raw pixels. Lossless
  formats are reported as ``inf``. Around 35 dB and above, small text on a white page
  stays crisp; below ~30 dB ringing around glyphs becomes visible. RGB PSNR also counts
  colour error, which JPEG's 4:2:0 chroma subsampling concentrates on thin coloured lines
  (stamps, red pen); text legibility follows luma, so the minimum luma (Y) PSNR is shown
  as well.

Pages: every page of ``data/samples/*.pdf`` and the sample receipts, plus (when
``../shared/corpus`` exists next to the repository) the first page of a few corpus PDFs
and the first 10 SROIE receipt photos. PDF pages and photos are reported in separate
tables because the PyMuPDF encoders only apply to PDF pages (photos are loaded with
Pillow), and ratios are only meaningful over the same set of pages.

Timing: each encoder is run ``--repeat`` times per page, interleaved across encoders so
that load from other processes hits them all alike; we keep the median per page and sum
the medians. Absolute times depend on the machine and on whatever else it is running, so
the table's decision columns are *ratios* against two references measured in the same
run (Pillow PNG compress_level 6 for bytes, Pillow JPEG q85 for speed); pages/s is shown
for scale only.

Run::

    /tmp/venv/bin/python benchmarks/encoding.py [--markdown] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import PIL
import pymupdf
from PIL import Image, ImageOps
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data" / "samples"
CORPUS = REPO.parent / "shared" / "corpus"
CORPUS_PDFS = (
    "pdfs/scanned_8pages_jbig2_dct.pdf",
    "pdfs/nonlatin_chinese_tables.pdf",
    "pdfs/form_irs_f1040_prefilled.pdf",
    "pdfs/scanned_cmyk_jpeg.pdf",
)
CORPUS_RECEIPTS_GLOB = "receipts/sroie_0*.jpg"
CORPUS_RECEIPTS_MAX = 10

MAX_SIDE = 1024  # longest side a Pixtral-class model keeps
BYTES_REFERENCE = "Pillow PNG level 6"
SPEED_REFERENCE = "Pillow JPEG q85"


# --------------------------------------------------------------------------- pages


@dataclass
class PageImage:
    """One rasterised page: its raw RGB pixels, plus the pixmap when it came from a PDF."""

    name: str
    group: str  # "pdf" or "image"
    pixels: np.ndarray  # H x W x 3, uint8: the reference for PSNR
    pil: Image.Image
    pixmap: pymupdf.Pixmap | None = None


def render_pdf_page(page: pymupdf.Page, name: str) -> PageImage:
    """Render at the zoom that makes the longest side MAX_SIDE px."""
    zoom = MAX_SIDE / max(page.rect.width, page.rect.height)
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csRGB, alpha=False)
    pil = pixmap_to_pil(pix)
    return PageImage(name, "pdf", np.asarray(pil), pil, pix)


def pixmap_to_pil(pix: pymupdf.Pixmap) -> Image.Image:
    """Zero-alpha RGB pixmap -> Pillow image (one copy of the samples)."""
    return Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


def load_image(path: Path) -> PageImage:
    """Open a photo/scan with Pillow, apply EXIF rotation, shrink to MAX_SIDE if larger."""
    with Image.open(path) as img:
        pil = ImageOps.exif_transpose(img).convert("RGB")
    if max(pil.size) > MAX_SIDE:
        scale = MAX_SIDE / max(pil.size)
        size = (max(1, round(pil.width * scale)), max(1, round(pil.height * scale)))
        pil = pil.resize(size, Image.Resampling.LANCZOS)
    return PageImage(path.name, "image", np.asarray(pil), pil)


def pdf_pages(path: Path, first_only: bool) -> list[PageImage]:
    """Render every page (or only the first) of a PDF."""
    with pymupdf.open(path) as doc:
        count = 1 if first_only else doc.page_count
        return [render_pdf_page(doc[i], f"{path.name}#{i + 1}") for i in range(count)]


def collect_pages() -> list[PageImage]:
    """Sample PDFs and receipts, plus a few corpus documents when the corpus is present."""
    pages: list[PageImage] = []
    for pdf in sorted(SAMPLES.glob("*.pdf")):
        pages += pdf_pages(pdf, first_only=False)
    for img in sorted([*SAMPLES.glob("*.png"), *SAMPLES.glob("*.jpg")]):
        pages.append(load_image(img))
    if CORPUS.is_dir():
        for rel in CORPUS_PDFS:
            if (CORPUS / rel).is_file():
                pages += pdf_pages(CORPUS / rel, first_only=True)
        receipts = sorted(CORPUS.glob(CORPUS_RECEIPTS_GLOB))[:CORPUS_RECEIPTS_MAX]
        pages += [load_image(p) for p in receipts]
    return pages


# --------------------------------------------------------------------------- encoders

Encoder = Callable[[PageImage], bytes]


def pillow_save(img: Image.Image, fmt: str, **options: object) -> bytes:
    """Encode a Pillow image into memory."""
    buf = io.BytesIO()
    img.save(buf, format=fmt, **options)
    return buf.getvalue()


def pillow_encoder(fmt: str, **options: object) -> Encoder:
    """Pillow encoder; PDF pages pay for the pixmap -> Pillow copy, as the pipeline would."""

    def encode(page: PageImage) -> bytes:
        img = pixmap_to_pil(page.pixmap) if page.pixmap is not None else page.pil
        return pillow_save(img, fmt, **options)

    return encode


def pymupdf_encoder(fmt: str, **options: int) -> Encoder:
    """PyMuPDF ``Pixmap.tobytes`` encoder (PDF pages only)."""

    def encode(page: PageImage) -> bytes:
        assert page.pixmap is not None
        return page.pixmap.tobytes(fmt, **options)

    return encode


@dataclass(frozen=True)
class Candidate:
    """A named encoding and the page groups it applies to."""

    name: str
    encode: Encoder
    groups: tuple[str, ...] = ("pdf", "image")


def candidates() -> list[Candidate]:
    """All encodings under test."""
    pdf_only = ("pdf",)
    out = [
        Candidate(f"PyMuPDF JPEG q{q}", pymupdf_encoder("jpeg", jpg_quality=q), pdf_only)
        for q in (75, 85, 90)
    ]
    out += [
        Candidate(f"Pillow JPEG q{q}", pillow_encoder("JPEG", quality=q, optimize=False))
        for q in (75, 85, 90)
    ]
    # Pillow subsamples chroma (4:2:0) by default; PyMuPDF writes 4:4:4. Same q85 at 4:4:4:
    out.append(
        Candidate(
            "Pillow JPEG q85 4:4:4",
            pillow_encoder("JPEG", quality=85, optimize=False, subsampling=0),
        )
    )
    out += [
        Candidate(f"Pillow PNG level {lvl}", pillow_encoder("PNG", compress_level=lvl))
        for lvl in (1, 6)
    ]
    out += [
        Candidate(f"Pillow WEBP q{q} m{m}", pillow_encoder("WEBP", quality=q, method=m))
        for q in (80, 90)
        for m in (4, 0)
    ]
    out.append(Candidate("PyMuPDF PNG", pymupdf_encoder("png"), pdf_only))
    return out


# --------------------------------------------------------------------------- measurement


@dataclass
class Result:
    """Per-encoding measurements over one group of pages."""

    seconds: list[float] = field(default_factory=list)  # median encode time per page
    sizes: list[int] = field(default_factory=list)
    psnrs: list[float] = field(default_factory=list)
    luma_psnrs: list[float] = field(default_factory=list)


def psnr_of(reference: np.ndarray, decoded: np.ndarray) -> float:
    """PSNR in dB between two uint8 arrays of the same shape (inf when identical)."""
    mse = float(np.mean((decoded.astype(np.float64) - reference.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def psnr(reference: np.ndarray, encoded: bytes) -> tuple[float, float]:
    """(RGB PSNR, luma PSNR) of the decoded image against the reference pixels."""
    with Image.open(io.BytesIO(encoded)) as img:
        decoded = img.convert("RGB")
    luma_ref = np.asarray(Image.fromarray(reference).convert("L"))
    luma = np.asarray(decoded.convert("L"))
    return psnr_of(reference, np.asarray(decoded)), psnr_of(luma_ref, luma)


def time_page(page: PageImage, cands: list[Candidate], repeat: int) -> dict[str, float]:
    """Median encode time per candidate, interleaving candidates within each repetition."""
    times: dict[str, list[float]] = {c.name: [] for c in cands}
    for _ in range(repeat):
        for cand in cands:
            start = time.perf_counter()
            cand.encode(page)
            times[cand.name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def measure(pages: list[PageImage], repeat: int) -> dict[str, dict[str, Result]]:
    """results[group][encoding] for every page and applicable candidate."""
    results: dict[str, dict[str, Result]] = {}
    all_cands = candidates()
    for page in pages:
        cands = [c for c in all_cands if page.group in c.groups]
        group = results.setdefault(page.group, {c.name: Result() for c in cands})
        for cand in cands:  # warm-up run, also gives the bytes for size and PSNR
            data = cand.encode(page)
            group[cand.name].sizes.append(len(data))
            rgb_db, luma_db = psnr(page.pixels, data)
            group[cand.name].psnrs.append(rgb_db)
            group[cand.name].luma_psnrs.append(luma_db)
        for name, seconds in time_page(page, cands, repeat).items():
            group[name].seconds.append(seconds)
    return results


# --------------------------------------------------------------------------- reporting

COLUMNS = (
    "encoding",
    "pages/s",
    "mean KB/page",
    "bytes vs PNG-6",
    "speed vs JPEG q85",
    "mean PSNR dB",
    "min PSNR dB",
    "min luma PSNR dB",
)


def fmt_db(value: float) -> str:
    """PSNR cell; lossless shows as inf."""
    return "inf" if math.isinf(value) else f"{value:.1f}"


def rows(group: dict[str, Result]) -> list[list[str]]:
    """Table rows for one page group, ratios against the group's own references."""

    def pages_per_s(r: Result) -> float:
        return len(r.seconds) / sum(r.seconds)

    ref_bytes = statistics.fmean(group[BYTES_REFERENCE].sizes)
    ref_speed = pages_per_s(group[SPEED_REFERENCE])
    out = []
    for name, r in group.items():
        mean_bytes = statistics.fmean(r.sizes)
        finite = [p for p in r.psnrs if not math.isinf(p)]
        mean_psnr = statistics.fmean(finite) if finite else math.inf
        out.append(
            [
                name,
                f"{pages_per_s(r):.1f}",
                f"{mean_bytes / 1024:.1f}",
                f"{mean_bytes / ref_bytes:.2f}",
                f"{pages_per_s(r) / ref_speed:.2f}",
                fmt_db(mean_psnr),
                fmt_db(min(r.psnrs)),
                fmt_db(min(r.luma_psnrs)),
            ]
        )
    return out


def group_title(group: str, pages: list[PageImage]) -> str:
    """Human title for a page group with its page count."""
    n = sum(p.group == group for p in pages)
    label = "PDF pages (rendered)" if group == "pdf" else "receipt images (Pillow-loaded)"
    return f"{label}: {n} pages, longest side <= {MAX_SIDE} px"


def print_rich(results: dict[str, dict[str, Result]], pages: list[PageImage]) -> None:
    """Print one rich table per page group."""
    console = Console()
    if not console.is_terminal:  # piped: do not squeeze the table into 80 columns
        console = Console(width=150)
    for group, res in results.items():
        table = Table(title=group_title(group, pages))
        for i, col in enumerate(COLUMNS):
            table.add_column(col, justify="left" if i == 0 else "right", no_wrap=True)
        for row in rows(res):
            table.add_row(*row)
        console.print(table)


def print_markdown(results: dict[str, dict[str, Result]], pages: list[PageImage]) -> None:
    """Print one Markdown table per page group."""
    for group, res in results.items():
        print(f"\n**{group_title(group, pages)}**\n")
        print("| " + " | ".join(COLUMNS) + " |")
        print("|" + "|".join(["---"] + ["---:"] * (len(COLUMNS) - 1)) + "|")
        for row in rows(res):
            print("| " + " | ".join(row) + " |")


def environment_line(pages: list[PageImage], repeat: int) -> str:
    """One line describing what was measured and with which libraries."""
    corpus = "yes" if CORPUS.is_dir() else "no"
    return (
        f"{len(pages)} pages (corpus: {corpus}), median of {repeat} runs per page, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, Pillow {PIL.__version__}, "
        f"PyMuPDF {pymupdf.VersionBind}, numpy {np.__version__}"
    )


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per page (median)")
    args = parser.parse_args(argv)

    pages = collect_pages()
    if not pages:
        sys.exit(f"no pages found under {SAMPLES}; run data/make_samples.py first")
    results = measure(pages, args.repeat)
    print(environment_line(pages, args.repeat))
    if args.markdown:
        print_markdown(results, pages)
    else:
        print_rich(results, pages)


if __name__ == "__main__":
    main()
