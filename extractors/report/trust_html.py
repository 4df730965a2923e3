"""The rows to check on the HTML page: per document, each row's page beside its text or fields.

Pages are drawn when the page is made (`thumbnails`), at most THUMBNAILS in the whole report,
worst documents first. A document row's fields read on its pages are boxed on the picture (an
SVG rectangle per citation, titled with the field and its value). Every string from the data
is escaped.
"""

from dataclasses import dataclass, field
from html import escape

from extractors.report.run_report import DatasetReport, DocumentToCheck, RowToCheck
from extractors.report.thumbnails import Thumbnail, page_thumbnail
from extractors.report.trust_tables import pages_label
from schemas.trust import Citation

THUMBNAILS = 50


# A document row shows the pages its fields were read on (or its first), this many at most.
PAGES_PER_ROW = 2


TRUST_CSS = """
.doc { margin: 18px 0; }
.doc h3 { font-size: 15px; margin: 14px 0 4px; overflow-wrap: anywhere; }
.check { display: flex; gap: 14px; align-items: flex-start; background: #fff;
  border: 1px solid #d8dde5; border-radius: 6px; padding: 10px; margin: 8px 0; }
.thumbs { display: flex; flex-direction: column; gap: 6px; flex: none; }
.thumb { border: 1px solid #c5ccd6; background: #f3f5f8; display: block; }
.thumb rect { fill: rgba(230, 0, 126, .12); stroke: #e6007e; stroke-width: 1.5; }
.nothumb { width: 200px; min-height: 120px; border: 1px dashed #b4bcc8; color: #5b6474;
  font-size: 12px; padding: 8px; box-sizing: border-box; overflow-wrap: anywhere; }
.body { flex: 1; min-width: 0; }
.why { margin: 0 0 6px; }
.reasons { margin: 0 0 8px; padding-left: 18px; color: #8a3b00; }
.excerpt { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 12.5px; background: #f6f8fa;
  border: 1px solid #e1e5eb; padding: 6px 8px; margin: 0; max-height: 320px; overflow: auto; }
"""


@dataclass
class PageDrawer:
    """Draws pages until THUMBNAILS are drawn, then says the rest are left out."""

    limit: int = THUMBNAILS
    drawn: int = 0
    left_out: int = 0
    _cache: dict[tuple[str, int, bool], Thumbnail] = field(default_factory=dict)

    def draw(self, row: RowToCheck, page: int) -> Thumbnail | None:
        """The page's picture; None once the limit is reached."""
        judge = any(c.page == page and c.found_in == "ocr" for c in row.citations)
        key = (row.source, page, judge)
        if key not in self._cache:
            if self.drawn >= self.limit:
                self.left_out += 1
                return None
            self.drawn += 1
            self._cache[key] = page_thumbnail(
                row.source, row.source_sha256, row.source_format, page, row.rotation, judge
            )
        return self._cache[key]


def rows_to_check_section(dataset: DatasetReport, drawer: PageDrawer) -> list[str]:
    """The dataset's rows to check, per document; nothing when it has none."""
    if not dataset.to_check or dataset.trust is None:
        return []
    trust = dataset.trust
    listed = sum(len(document.shown) for document in dataset.to_check)
    head = (
        f'<h3>{escape(dataset.name)}: rows to check</h3><p class="sub">{trust.to_check:,} '
        f"ok rows in {trust.documents_to_check:,} documents have a warning or a confidence "
        f"under {trust.threshold:.2f}; {listed:,} listed, worst documents first.</p>"
    )
    return [head, *(_document(document, drawer) for document in dataset.to_check)]


def _document(document: DocumentToCheck, drawer: PageDrawer) -> str:
    lowest = "-" if document.lowest_confidence is None else f"{document.lowest_confidence:.3f}"
    hidden = document.rows - len(document.shown)
    more = f'<p class="note">{_rows(hidden)} more of this document not listed.</p>'
    return (
        f'<section class="doc"><h3>{escape(document.source)}</h3><p class="sub">'
        f"{_rows(document.rows)} to check &middot; lowest confidence {lowest}</p>"
        + "".join(_row(row, drawer) for row in document.shown)
        + (more if hidden > 0 else "")
        + "</section>"
    )


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def _row(row: RowToCheck, drawer: PageDrawer) -> str:
    pictures = "".join(_picture(row, page, drawer) for page in shown_pages(row))
    confidence = "-" if row.confidence is None else f"{row.confidence:.3f}"
    label = "page" if len(row.pages) == 1 else "pages"
    reasons = "".join(f"<li>{escape(warning)}</li>" for warning in row.warnings) or (
        "<li>low confidence, no warning</li>"
    )
    body = _fields(row) if row.text is None else f'<pre class="excerpt">{escape(row.text)}</pre>'
    return (
        f'<div class="check"><div class="thumbs">{pictures}</div><div class="body">'
        f'<p class="why"><b>{label} {escape(pages_label(row.pages))}</b> &middot; confidence '
        f'{confidence}</p><ul class="reasons">{reasons}</ul>{body}</div></div>'
    )


def shown_pages(row: RowToCheck) -> list[int]:
    """The pages pictured: those its fields were read on, else its first."""
    cited = sorted({c.page for c in row.citations if c.page in row.pages or not row.pages})
    return (cited or list(row.pages[:1]))[:PAGES_PER_ROW]


def _picture(row: RowToCheck, page: int, drawer: PageDrawer) -> str:
    thumbnail = drawer.draw(row, page)
    if thumbnail is None:
        return _placeholder(page, f"not drawn: the report draws at most {drawer.limit} pages")
    if thumbnail.data_url is None:
        return _placeholder(page, thumbnail.missing or "not drawn")
    width, height = thumbnail.width, thumbnail.height
    boxes = "".join(_rectangle(c, thumbnail) for c in row.citations if c.page == page)
    turned = f", turned {thumbnail.rotation}°" if thumbnail.rotation else ""
    return (
        f'<svg class="thumb" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="page {page}{turned}"><title>page {page}{turned}</title>'
        f'<image href="{thumbnail.data_url}" width="{width}" height="{height}"/>{boxes}</svg>'
    )


def _placeholder(page: int, reason: str) -> str:
    return f'<div class="nothumb">page {page}: {escape(reason)}</div>'


def _rectangle(citation: Citation, thumbnail: Thumbnail) -> str:
    x0, y0, x1, y1 = turned_box(citation, thumbnail.rotation)
    w, h = thumbnail.width, thumbnail.height
    title = escape(f"{citation.field}: {citation.value} ({citation.found_in})")
    return (
        f'<rect x="{x0 * w:.1f}" y="{y0 * h:.1f}" width="{(x1 - x0) * w:.1f}" '
        f'height="{(y1 - y0) * h:.1f}"><title>{title}</title></rect>'
    )


def turned_box(citation: Citation, rotation: int | None) -> tuple[float, float, float, float]:
    """The box in shares of the picture. Boxes of the embedded engine's lines are shares of
    the page as sent, already upright; a text layer's are shares of the page as stored, so
    they turn with it (clockwise)."""
    x0, y0, x1, y1 = (
        min(1.0, max(0.0, v)) for v in (citation.x0, citation.y0, citation.x1, citation.y1)
    )
    if citation.found_in == "ocr" or not rotation:
        return x0, y0, x1, y1
    if rotation == 90:
        return 1 - y1, x0, 1 - y0, x1
    if rotation == 180:
        return 1 - x1, 1 - y1, 1 - x0, 1 - y0
    return y0, 1 - x1, y1, 1 - x0


def _fields(row: RowToCheck) -> str:
    cells = "".join(
        f"<tr><td>{escape(name)}</td><td>{escape(value)}</td><td>{escape(_read_on(row, name))}"
        "</td></tr>"
        for name, value in row.fields
    )
    return (
        '<table class="fields"><thead><tr><th>field</th><th>value</th><th>read on</th></tr>'
        f"</thead><tbody>{cells}</tbody></table>"
    )


def _read_on(row: RowToCheck, name: str) -> str:
    """Where the field (or its parts) was read: `page 1 (text_layer)`, or `-`."""
    places = {
        f"page {c.page} ({c.found_in})"
        for c in row.citations
        if c.field == name or c.field.startswith((f"{name}.", f"{name}["))
    }
    return ", ".join(sorted(places)) or "-"
