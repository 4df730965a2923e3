"""Regenerate the small sample documents in ``data/samples/``.

Run from the repository root::

    /tmp/venv/bin/python data/make_samples.py

The output is deterministic: running the script twice gives byte-identical files
(no timestamps, no random document ids, no EXIF). Everything is drawn with
PyMuPDF's base-14 fonts, so no font files are needed.

Files written:

* ``letter_3pages.pdf``  3-page US-letter business letter; page 2 holds a quote table.
* ``report_14pages.pdf`` 14-page A4 report (title page + 13 sections), "Page N of 14" footers.
* ``receipt.png``        thermal-style grocery receipt, 576 px wide, white background.
* ``receipt.jpg``        a different (cafe) receipt, light grey background, JPEG q90.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pymupdf
from PIL import Image

OUT_DIR = Path(__file__).resolve().parent / "samples"

LETTER = (612, 792)
A4 = (595, 842)

BODY_FONT = "helv"
BOLD_FONT = "hebo"
SERIF_FONT = "tiro"
MONO_FONT = "cour"
MONO_BOLD_FONT = "cobo"

# Fixed metadata, deliberately without creation / modification dates.
PDF_PRODUCER = "visionbatch data/make_samples.py"


# --------------------------------------------------------------------------- helpers


def money(value: Decimal) -> str:
    """Format a Decimal with thousands separators and two decimals: 16536 -> '16,536.00'."""
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def cents(value: Decimal) -> Decimal:
    """Round half-up to cents."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def text_width(text: str, fontname: str, fontsize: float) -> float:
    """Width in points of ``text`` in a base-14 font."""
    return pymupdf.get_text_length(text, fontname=fontname, fontsize=fontsize)


def put_right(
    page: pymupdf.Page,
    x_right: float,
    y: float,
    text: str,
    fontname: str = BODY_FONT,
    fontsize: float = 11,
) -> None:
    """Insert ``text`` so that it ends at ``x_right`` (baseline ``y``)."""
    x = x_right - text_width(text, fontname, fontsize)
    page.insert_text((x, y), text, fontname=fontname, fontsize=fontsize)


def put_center(
    page: pymupdf.Page,
    x_mid: float,
    y: float,
    text: str,
    fontname: str = BODY_FONT,
    fontsize: float = 11,
) -> None:
    """Insert ``text`` centred on ``x_mid`` (baseline ``y``)."""
    x = x_mid - text_width(text, fontname, fontsize) / 2
    page.insert_text((x, y), text, fontname=fontname, fontsize=fontsize)


def textbox(
    page: pymupdf.Page,
    rect: pymupdf.Rect,
    text: str,
    fontname: str = BODY_FONT,
    fontsize: float = 11,
    align: int = pymupdf.TEXT_ALIGN_LEFT,
    lineheight: float = 1.3,
) -> float:
    """Insert ``text`` into ``rect``; return the y coordinate just below the used area.

    Raises if the text does not fit, so a layout mistake cannot silently drop text.
    """
    rest = page.insert_textbox(
        rect, text, fontname=fontname, fontsize=fontsize, align=align, lineheight=lineheight
    )
    if rest < 0:
        raise ValueError(f"text does not fit in {rect} (short by {-rest:.1f} pt): {text[:40]!r}")
    return rect.y1 - rest


def paragraphs(
    page: pymupdf.Page, x0: float, x1: float, y: float, paras: list[str], gap: float = 9
) -> float:
    """Flow justified body paragraphs downwards from ``y``; return the y after the last one."""
    for para in paras:
        y = textbox(page, pymupdf.Rect(x0, y, x1, y + 400), para, align=pymupdf.TEXT_ALIGN_JUSTIFY)
        y += gap
    return y


def new_pdf(title: str, author: str, subject: str) -> pymupdf.Document:
    """Empty PDF with fixed, date-free metadata."""
    doc = pymupdf.open()
    doc.set_metadata(
        {
            "title": title,
            "author": author,
            "subject": subject,
            "creator": PDF_PRODUCER,
            "producer": PDF_PRODUCER,
        }
    )
    return doc


def save_pdf(doc: pymupdf.Document, path: Path) -> None:
    """Save compactly and deterministically (no new /ID, no dates)."""
    data = doc.tobytes(garbage=4, deflate=True, clean=True, no_new_id=True)
    path.write_bytes(data)


# --------------------------------------------------------------------------- letter

SENDER = [
    "Harborview Office Interiors, Inc.",
    "1420 Commerce Avenue, Suite 300",
    "Portland, OR 97205",
    "Tel. (503) 555-0147  |  quotes@harborview-interiors.example",
]
RECIPIENT = [
    "Ms. Laura Bennett",
    "Facilities Manager",
    "Crestline Analytics, Inc.",
    "88 Pine Ridge Road",
    "Beaverton, OR 97006",
]
LETTER_DATE = "March 12, 2025"

LETTER_P1 = [
    "Dear Ms. Bennett,",
    "Thank you for showing our team around the second floor of your Beaverton office on "
    "March 4. It was helpful to see how your analysts use the space during a normal working "
    "day, and we appreciated the time your department leads spent walking us through the "
    "pain points they experience with the current layout.",
    "As discussed, the main goals of the refurbishment are to create quieter focus areas "
    "for the analytics team, to replace the fixed-height desks that are now more than ten "
    "years old, and to add two small meeting rooms without reducing the number of "
    "workstations. You also asked us to keep the existing carpet and ceiling lighting where "
    "possible, so that the work can be completed over two weekends with minimal disruption.",
    "Our proposal is built around a cluster layout of four desks per pod, separated by "
    "free-standing acoustic panels. This arrangement keeps natural light reaching the inner "
    "part of the floor while cutting down on conversation noise between teams. The two "
    "meeting areas would be placed next to the east stairwell, where the floor plan already "
    "allows for a short partition wall and a separate power circuit.",
    "We have kept the furniture selection deliberately simple: every desk and chair comes "
    "from the same product family, which makes replacement parts easy to source and keeps "
    "the look consistent across the floor. Samples of the desk finishes and chair fabrics "
    "can be delivered to your office next week if you would like your staff to try them "
    "before a final decision is made.",
]

LETTER_P2_INTRO = [
    "The table below lists the items included in our quotation. Prices are valid for "
    "sixty days from the date of this letter and include delivery to your loading dock, "
    "assembly on site and the removal and recycling of the existing desks.",
]

QUOTE_ITEMS: list[tuple[str, int, Decimal]] = [
    ("Height-adjustable desk, 160 x 80 cm", 24, Decimal("689.00")),
    ("Ergonomic task chair, mesh back", 24, Decimal("412.50")),
    ("Acoustic partition panel, 120 cm", 18, Decimal("236.00")),
    ("Four-person meeting table, oak veneer", 3, Decimal("1150.00")),
    ("Delivery, assembly and disposal", 1, Decimal("2300.00")),
]
QUOTE_DISCOUNT_PCT = Decimal("5")

LETTER_P2_OUTRO = [
    "The discount shown above applies if the order is confirmed by April 15, 2025. Sales "
    "tax is not included because, as we understand it, Crestline's purchases for this "
    "project are made under your existing tax-exempt account; please let us know if that "
    "is not the case and we will issue a revised quotation.",
    "Lead time for the desks and chairs is currently four to five weeks from order "
    "confirmation. The acoustic panels are made to order and typically take six weeks, "
    "so we suggest scheduling the installation for the weekends of May 24 and May 31.",
]

LETTER_P3 = [
    "For the installation itself, our crew of six would arrive at 7:00 a.m. on each "
    "Saturday. On the first weekend we would remove the old workstations, install the "
    "partition wall for the meeting rooms and assemble the new desks in the western half "
    "of the floor. The second weekend would cover the eastern half, the acoustic panels "
    "and the meeting tables. Each evening the floor will be left clean and usable.",
    "We would need access to the freight elevator from 6:30 a.m. to 6:00 p.m. on both "
    "Saturdays, and a member of your facilities team should be available for about an "
    "hour at the end of each day to walk through the completed work with our site lead. "
    "All of our installers carry their own liability insurance, and certificates can be "
    "sent to your building management in advance.",
    "Payment terms are 30 percent on order confirmation, with the balance due within "
    "thirty days of installation. All furniture carries a ten-year warranty on frames and "
    "mechanisms and a five-year warranty on upholstery and electrical components.",
    "Thank you again for considering Harborview for this project. Please do not hesitate "
    "to call me directly at (503) 555-0147, extension 212, if you have any questions or "
    "would like to adjust the scope. We look forward to working with you.",
]

SIGNATURE = [
    "Sincerely,",
    "",
    "",
    "Daniel Okafor",
    "Senior Project Consultant",
    "Harborview Office Interiors, Inc.",
]


def letter_margins() -> tuple[float, float]:
    """Left and right x of the letter's text column."""
    return 72.0, LETTER[0] - 72.0


def letter_footer(page: pymupdf.Page, number: int) -> None:
    """Small centred footer with the sender's name and the page number."""
    put_center(
        page,
        LETTER[0] / 2,
        LETTER[1] - 36,
        f"Harborview Office Interiors, Inc.  -  page {number} of 3",
        fontname=BODY_FONT,
        fontsize=8,
    )


def continuation_header(page: pymupdf.Page, number: int) -> float:
    """Header used on pages 2 and 3 of the letter; returns the y below it."""
    x0, x1 = letter_margins()
    page.insert_text((x0, 60), "Crestline Analytics, Inc.", fontname=BODY_FONT, fontsize=9)
    put_right(page, x1, 60, f"{LETTER_DATE}  -  page {number}", fontname=BODY_FONT, fontsize=9)
    page.draw_line((x0, 66), (x1, 66), color=(0.5, 0.5, 0.5), width=0.5)
    return 90.0


def letter_page1(page: pymupdf.Page) -> None:
    """Letterhead, date, recipient, subject line and the first body paragraphs."""
    x0, x1 = letter_margins()
    page.insert_text((x0, 70), SENDER[0], fontname=BOLD_FONT, fontsize=15)
    y = 86.0
    for line in SENDER[1:]:
        page.insert_text((x0, y), line, fontname=BODY_FONT, fontsize=9.5)
        y += 12.5
    page.draw_line((x0, y - 4), (x1, y - 4), color=(0.2, 0.3, 0.5), width=1)
    y += 20
    page.insert_text((x0, y), LETTER_DATE, fontname=BODY_FONT, fontsize=11)
    y += 30
    for line in RECIPIENT:
        page.insert_text((x0, y), line, fontname=BODY_FONT, fontsize=11)
        y += 14
    y += 18
    subject = "Re: Proposal for the second-floor office refurbishment"
    page.insert_text((x0, y), subject, fontname=BOLD_FONT, fontsize=11)
    y += 24
    paragraphs(page, x0, x1, y, LETTER_P1)
    letter_footer(page, 1)


def quote_table(page: pymupdf.Page, y: float) -> float:
    """Draw the itemised quote as a ruled table; return the y below it."""
    x0, x1 = letter_margins()
    # Column right edges (numbers are right-aligned) and the description's left edge.
    col_no, col_desc, col_qty, col_unit, col_amt = x0 + 4, x0 + 34, 365.0, 450.0, x1 - 4
    row_h = 19.0
    header = ("No.", "Description", "Qty", "Unit price", "Amount")
    fs = 10.0

    def rule(yy: float, width: float = 0.6) -> None:
        page.draw_line((x0, yy), (x1, yy), color=(0, 0, 0), width=width)

    rule(y, 1.0)
    base = y + 13.5
    page.insert_text((col_no, base), header[0], fontname=BOLD_FONT, fontsize=fs)
    page.insert_text((col_desc, base), header[1], fontname=BOLD_FONT, fontsize=fs)
    put_right(page, col_qty, base, header[2], fontname=BOLD_FONT, fontsize=fs)
    put_right(page, col_unit, base, header[3], fontname=BOLD_FONT, fontsize=fs)
    put_right(page, col_amt, base, header[4], fontname=BOLD_FONT, fontsize=fs)
    y += row_h
    rule(y, 0.8)

    subtotal = Decimal(0)
    for number, (desc, qty, unit) in enumerate(QUOTE_ITEMS, start=1):
        amount = cents(unit * qty)
        subtotal += amount
        base = y + 13.5
        page.insert_text((col_no, base), f"{number}", fontname=BODY_FONT, fontsize=fs)
        page.insert_text((col_desc, base), desc, fontname=BODY_FONT, fontsize=fs)
        put_right(page, col_qty, base, str(qty), fontsize=fs)
        put_right(page, col_unit, base, f"${money(unit)}", fontsize=fs)
        put_right(page, col_amt, base, f"${money(amount)}", fontsize=fs)
        y += row_h
        rule(y, 0.3)

    discount = cents(subtotal * QUOTE_DISCOUNT_PCT / 100)
    total = subtotal - discount
    totals = [
        ("Subtotal", f"${money(subtotal)}", BODY_FONT),
        (f"Discount ({QUOTE_DISCOUNT_PCT}%)", f"-${money(discount)}", BODY_FONT),
        ("Total (excluding sales tax)", f"${money(total)}", BOLD_FONT),
    ]
    for label, value, font in totals:
        base = y + 13.5
        put_right(page, col_unit, base, label, fontname=font, fontsize=fs)
        put_right(page, col_amt, base, value, fontname=font, fontsize=fs)
        y += row_h
    rule(y, 1.0)
    # Vertical rules for the item rows only (header + items).
    top = y - row_h * (len(QUOTE_ITEMS) + 1 + len(totals))
    items_bottom = top + row_h * (len(QUOTE_ITEMS) + 1)
    for xv in (x0, col_desc - 6, col_qty + 6, col_unit + 6, x1):
        page.draw_line((xv, top), (xv, items_bottom), color=(0, 0, 0), width=0.5)
    return y


def letter_page2(page: pymupdf.Page) -> None:
    """Continuation page holding the itemised quote table."""
    x0, x1 = letter_margins()
    y = continuation_header(page, 2)
    y = paragraphs(page, x0, x1, y, LETTER_P2_INTRO)
    y = quote_table(page, y + 6) + 20
    paragraphs(page, x0, x1, y, LETTER_P2_OUTRO)
    letter_footer(page, 2)


def letter_page3(page: pymupdf.Page) -> None:
    """Closing paragraphs, signature block and enclosures."""
    x0, x1 = letter_margins()
    y = continuation_header(page, 3)
    y = paragraphs(page, x0, x1, y, LETTER_P3) + 10
    for line in SIGNATURE:
        page.insert_text((x0, y), line, fontname=BODY_FONT, fontsize=11)
        y += 15
    y += 24
    page.insert_text(
        (x0, y),
        "Enclosures: floor plan draft (rev. B), finish samples catalogue",
        fontname=BODY_FONT,
        fontsize=9,
    )
    page.insert_text(
        (x0, y + 13),
        "cc: Mark Huang, Office Operations, Crestline Analytics, Inc.",
        fontname=BODY_FONT,
        fontsize=9,
    )
    letter_footer(page, 3)


def make_letter(path: Path) -> None:
    """Write the 3-page business letter."""
    doc = new_pdf(
        "Proposal for the second-floor office refurbishment",
        "Daniel Okafor",
        "Sample business letter for visionbatch tests",
    )
    for draw in (letter_page1, letter_page2, letter_page3):
        draw(doc.new_page(width=LETTER[0], height=LETTER[1]))
    save_pdf(doc, path)


# --------------------------------------------------------------------------- report

REPORT_TITLE = "Regional Distribution Network Review"
REPORT_PAGES = 14


@dataclass(frozen=True)
class Section:
    """One report section: a heading and two or three paragraphs."""

    title: str
    paras: tuple[str, ...]


SECTIONS: tuple[Section, ...] = (
    Section(
        "Executive Summary",
        (
            "This report reviews the performance of the four regional distribution centres "
            "operated by Meridian Freight during the 2024 fiscal year. It was commissioned by "
            "the operations committee to establish whether the current network can absorb the "
            "volume growth forecast for the next three years without a new site.",
            "Overall, the network handled 18.4 million order lines in 2024, an increase of 11 "
            "percent on the previous year, while cost per order line fell slightly. However, "
            "two of the four centres operated above 90 percent of their practical storage "
            "capacity for more than five months, and on-time delivery in the northern region "
            "fell below the contractual target during the winter peak.",
            "We recommend a phased programme: re-slotting and shift changes in the first "
            "year, a mezzanine extension at the Leeds site in the second, and a decision on a "
            "fifth centre no later than the third quarter of 2026.",
        ),
    ),
    Section(
        "Background and Scope",
        (
            "Meridian Freight distributes packaged food, household goods and small appliances "
            "for eleven retail clients. Since 2019 the company has run four regional "
            "distribution centres, in Leeds, Coventry, Bristol and Glasgow, each serving the "
            "stores and home-delivery hubs within roughly a three-hour drive.",
            "The review covers inbound receiving, storage, picking, outbound loading and "
            "trunking between sites. Last-mile delivery, which is subcontracted, is considered "
            "only where it affects the performance of the distribution centres themselves.",
        ),
    ),
    Section(
        "Methodology",
        (
            "The analysis combines warehouse management system data for all 52 weeks of the "
            "year with transport management records, finance ledgers and interviews with "
            "twenty-three site managers, shift leaders and client account managers.",
            "Capacity figures use practical rather than nominal capacity: we assume that a "
            "pallet location cannot be used efficiently above 88 percent occupancy, because "
            "beyond that point replenishment moves and re-handling rise sharply.",
            "All cost figures are expressed in 2024 prices and exclude one-off restructuring "
            "costs incurred during the Coventry shift-pattern change in March.",
        ),
    ),
    Section(
        "Warehouse Capacity",
        (
            "Leeds and Coventry were the most constrained sites. Leeds exceeded practical "
            "capacity for 23 weeks, mostly between September and January, and used overflow "
            "storage at a third-party warehouse for a total cost of 412,000 pounds.",
            "Bristol and Glasgow had headroom throughout the year, averaging 71 and 64 percent "
            "occupancy respectively. Some of that space could be used for slow-moving stock "
            "from the northern sites, although the extra trunking cost must be considered.",
        ),
    ),
    Section(
        "Transport Costs",
        (
            "Outbound transport remains the largest single cost, at 38 percent of total "
            "network spending. Fuel prices were lower than in 2023, but driver wage rates "
            "rose by 6.5 percent and the average load factor on store deliveries fell to 81 "
            "percent because of smaller, more frequent orders from two clients.",
            "Trunking between the centres increased by 19 percent as more stock was moved to "
            "balance capacity. Half of these moves could be avoided if slow-moving lines were "
            "allocated to the southern sites at the point of receipt.",
            "A pilot of double-deck trailers on the Coventry to Bristol route reduced cost per "
            "pallet by 14 percent and should be extended to the other trunk routes.",
        ),
    ),
    Section(
        "Delivery Performance",
        (
            "Network-wide, 96.8 percent of store deliveries arrived within the agreed time "
            "window, against a target of 97.5 percent. The shortfall was concentrated in "
            "November and December, when the Leeds and Glasgow sites struggled with late "
            "inbound containers and severe weather on the northern routes.",
            "Home-delivery hubs were served on time in 98.2 percent of cases. Complaints about "
            "damaged goods fell by a quarter after new stretch-wrapping equipment was "
            "installed at three sites during the second quarter.",
        ),
    ),
    Section(
        "Inventory Accuracy",
        (
            "Cycle counting found an average location accuracy of 99.1 percent, in line with "
            "the previous year. Most discrepancies involved mixed-SKU pallets in the "
            "overflow areas, where locations are assigned manually rather than by the system.",
            "Write-offs for expired or damaged stock totalled 0.42 percent of inventory value. "
            "Chilled products at Coventry accounted for more than half of this figure and "
            "deserve a dedicated review of rotation rules and temperature monitoring.",
        ),
    ),
    Section(
        "Staffing and Training",
        (
            "The network employed an average of 1,140 permanent staff and 310 agency workers. "
            "Agency usage peaked at 42 percent of hours in December, which is high by industry "
            "standards and is associated with lower picking productivity and more errors.",
            "Staff turnover improved from 27 to 21 percent after the introduction of fixed "
            "four-on, four-off shift patterns. Sites that completed the new induction "
            "programme recorded 30 percent fewer picking errors in the first month of "
            "employment than sites that did not.",
            "We recommend extending the induction programme to all agency workers who are "
            "expected to work more than ten shifts in a quarter.",
        ),
    ),
    Section(
        "Technology and Systems",
        (
            "All four centres use the same warehouse management system, but Glasgow still runs "
            "an older version without wave planning. Upgrading it would allow the site to "
            "share the picking algorithms already in use elsewhere.",
            "Voice picking was trialled in the ambient area at Bristol. Productivity rose by 9 "
            "percent after a four-week learning period, and pickers reported that the headsets "
            "were more comfortable than the wrist-mounted scanners they replaced.",
        ),
    ),
    Section(
        "Sustainability",
        (
            "Electricity consumption per order line fell by 8 percent following the "
            "replacement of lighting at Leeds and Coventry with motion-controlled LED fittings. "
            "Solar panels installed on the Bristol roof supplied 23 percent of that site's "
            "annual electricity demand.",
            "Diesel consumption in the owned fleet fell by 5 percent. Twelve electric tractor "
            "units are on order for urban routes and should arrive before the end of 2025; "
            "charging infrastructure at Coventry and Bristol has already been approved.",
        ),
    ),
    Section(
        "Risks",
        (
            "The main operational risk is a further increase in volume at the northern sites "
            "before additional capacity is available. If growth reaches the upper forecast of "
            "15 percent, Leeds would need overflow storage for most of 2026.",
            "Other risks include the concentration of chilled storage at a single site, the "
            "reliance on agency labour during peaks, and the possibility that one of the two "
            "largest clients moves to a self-operated network when its contract ends.",
            "Each risk has been assigned an owner, and mitigation actions are tracked monthly "
            "by the operations committee.",
        ),
    ),
    Section(
        "Recommendations",
        (
            "First, re-slot slow-moving lines from Leeds and Coventry to Bristol and Glasgow, "
            "and allocate new lines by sales velocity at the point of receipt. Second, extend "
            "double-deck trailers to all trunk routes. Third, upgrade the Glasgow warehouse "
            "management system and roll out voice picking in ambient areas.",
            "Fourth, build a 2,400 square-metre mezzanine at Leeds, subject to planning "
            "approval. Finally, commission a site-selection study for a fifth distribution "
            "centre in the north-west, to report no later than the third quarter of 2026.",
        ),
    ),
    Section(
        "Implementation Timeline",
        (
            "Re-slotting and the trailer programme can start immediately and should be "
            "complete by the end of the second quarter of 2025. The Glasgow system upgrade is "
            "scheduled for the quieter weeks of August, with voice picking following in October.",
            "The Leeds mezzanine requires planning consent, which we expect in the autumn; "
            "construction would then take about five months. Progress against this timeline "
            "will be reported to the operations committee every quarter.",
        ),
    ),
)


def report_footer(page: pymupdf.Page, number: int) -> None:
    """Footer rule plus 'Page N of 14'."""
    w, h = A4
    page.draw_line((60, h - 52), (w - 60, h - 52), color=(0.6, 0.6, 0.6), width=0.5)
    page.insert_text((60, h - 38), REPORT_TITLE, fontname=BODY_FONT, fontsize=8.5)
    put_right(page, w - 60, h - 38, f"Page {number} of {REPORT_PAGES}", fontsize=9)


def report_title_page(page: pymupdf.Page) -> None:
    """Title, subtitle, organisation and a short abstract."""
    w, _ = A4
    put_center(page, w / 2, 250, REPORT_TITLE, fontname=BOLD_FONT, fontsize=24)
    put_center(page, w / 2, 285, "Fiscal Year 2024", fontname=BODY_FONT, fontsize=16)
    page.draw_line((150, 310), (w - 150, 310), color=(0.2, 0.3, 0.5), width=1.2)
    lines = [
        "Prepared for the Operations Committee",
        "Meridian Freight Ltd.",
        "Operations Strategy Group",
        "Version 1.2  -  February 2025",
    ]
    y = 350.0
    for line in lines:
        put_center(page, w / 2, y, line, fontname=BODY_FONT, fontsize=12)
        y += 20
    abstract = (
        "This review assesses capacity, cost, service and workforce across the four "
        "regional distribution centres and sets out a phased plan to absorb the volume "
        "growth forecast for 2025 to 2027."
    )
    textbox(
        page,
        pymupdf.Rect(110, 480, w - 110, 600),
        abstract,
        fontname=SERIF_FONT,
        fontsize=11.5,
        align=pymupdf.TEXT_ALIGN_CENTER,
    )
    report_footer(page, 1)


def report_section_page(page: pymupdf.Page, number: int, section: Section) -> None:
    """One section per page: heading, paragraphs, footer."""
    w, _ = A4
    x0, x1 = 70.0, w - 70.0
    page.insert_text(
        (x0, 95), f"Section {number}: {section.title}", fontname=BOLD_FONT, fontsize=16
    )
    page.draw_line((x0, 104), (x1, 104), color=(0.2, 0.3, 0.5), width=0.8)
    paragraphs(page, x0, x1, 124, list(section.paras), gap=11)
    report_footer(page, number + 1)


def make_report(path: Path) -> None:
    """Write the 14-page A4 report."""
    assert len(SECTIONS) == REPORT_PAGES - 1
    doc = new_pdf(
        f"{REPORT_TITLE} - Fiscal Year 2024",
        "Operations Strategy Group",
        "Sample multi-page report for visionbatch tests",
    )
    report_title_page(doc.new_page(width=A4[0], height=A4[1]))
    for number, section in enumerate(SECTIONS, start=1):
        report_section_page(doc.new_page(width=A4[0], height=A4[1]), number, section)
    save_pdf(doc, path)


# --------------------------------------------------------------------------- receipts

RECEIPT_WIDTH_PX = 576
RECEIPT_ZOOM = 2.0  # page points -> pixels
RECEIPT_WIDTH_PT = RECEIPT_WIDTH_PX / RECEIPT_ZOOM
RECEIPT_FONT_PT = 20.0  # 40 px at zoom 2 -> Courier cap height ~22.5 px
RECEIPT_LINE_PT = 25.0  # baseline-to-baseline distance (50 px)
RECEIPT_MARGIN_PT = 8.0


@dataclass(frozen=True)
class Receipt:
    """Content of one receipt; amounts are computed, not typed in."""

    merchant: str
    address: tuple[str, ...]
    phone: str
    header_lines: tuple[str, ...]
    currency: str  # prefix for amounts in the totals block: "EUR " or "$" (OCR reads "$1.00" best)
    items: tuple[tuple[str, int, Decimal], ...]
    tax_pct: Decimal
    payment: tuple[str, ...]
    thanks: tuple[str, ...]
    tendered: Decimal | None = None  # cash handed over; adds TENDERED / CHANGE lines


GREENLEAF = Receipt(
    merchant="GREENLEAF GROCERS",
    address=("12 Rue des Tilleuls", "69003 Lyon"),
    phone="Tel: 04 78 55 01 23",
    header_lines=("Date: 14/03/2025", "Time: 09:12  Till: 03", "Receipt: 004817"),
    currency="EUR ",
    items=(
        ("ORGANIC BANANAS", 2, Decimal("1.29")),
        ("WHOLE MILK 1L", 3, Decimal("1.15")),
        ("SOURDOUGH BREAD", 1, Decimal("3.80")),
        ("CHEDDAR 200G", 2, Decimal("2.95")),
        ("FREE RANGE EGGS 12", 1, Decimal("4.49")),
    ),
    tax_pct=Decimal("5.5"),
    payment=("VISA **** 4242", "APPROVED  AUTH 83V21K"),
    thanks=("THANK YOU FOR SHOPPING", "WITH US!"),
)

MERIDIAN = Receipt(
    merchant="CAFE MERIDIAN",
    address=("450 Harbor Blvd", "Santa Cruz, CA 95060"),
    phone="(831) 555-0192",
    header_lines=("2025-06-02 12:41", "Table 7  Server: ANA", "Order #: 2291"),
    currency="$",
    items=(
        ("CAPPUCCINO", 2, Decimal("4.25")),
        ("AVOCADO TOAST", 1, Decimal("9.50")),
        ("BLUEBERRY MUFFIN", 2, Decimal("3.75")),
        ("ICED TEA", 1, Decimal("3.20")),
    ),
    tax_pct=Decimal("9.25"),
    payment=("CASH",),
    thanks=("THANK YOU!", "PLEASE COME AGAIN"),
    tendered=Decimal("40.00"),
)


@dataclass(frozen=True)
class Line:
    """One receipt line: left text, optional right-aligned text, alignment and font."""

    left: str = ""
    right: str = ""
    center: bool = False
    bold: bool = False
    size: float = RECEIPT_FONT_PT
    rule_before: bool = False


def receipt_lines(r: Receipt) -> list[Line]:
    """Lay out a receipt as a list of lines, computing subtotal, tax and total."""
    lines = [Line(r.merchant, center=True, bold=True, size=RECEIPT_FONT_PT + 2)]
    lines += [Line(a, center=True) for a in r.address]
    lines.append(Line(r.phone, center=True))
    lines += [Line(h, rule_before=(i == 0)) for i, h in enumerate(r.header_lines)]
    subtotal = Decimal(0)
    for i, (name, qty, unit) in enumerate(r.items):
        amount = cents(unit * qty)
        subtotal += amount
        lines.append(Line(name, rule_before=(i == 0)))
        # "2x 1.29": with Courier's wide spaces, PP-OCRv4 dropped a lone "2 x".
        lines.append(Line(f"  {qty}x {unit:.2f}", f"{amount:.2f}"))
    tax = cents(subtotal * r.tax_pct / 100)
    total = subtotal + tax
    cur = r.currency
    lines.append(Line("SUBTOTAL", f"{cur}{subtotal:.2f}", rule_before=True))
    lines.append(Line(f"TAX {r.tax_pct}%", f"{cur}{tax:.2f}"))
    lines.append(Line("TOTAL", f"{cur}{total:.2f}", bold=True))
    lines += [Line(p, rule_before=(i == 0)) for i, p in enumerate(r.payment)]
    if r.tendered is not None:
        lines.append(Line("TENDERED", f"{cur}{r.tendered:.2f}"))
        lines.append(Line("CHANGE", f"{cur}{r.tendered - total:.2f}"))
    lines += [Line(t, center=True, rule_before=(i == 0)) for i, t in enumerate(r.thanks)]
    return lines


def check_fits(line: Line) -> None:
    """Refuse lines wider than the paper, so OCR never sees clipped text."""
    font = MONO_BOLD_FONT if line.bold else MONO_FONT
    used = text_width(line.left, font, line.size) + text_width(line.right, font, line.size)
    if line.right:
        used += text_width(" ", font, line.size)
    if used > RECEIPT_WIDTH_PT - 2 * RECEIPT_MARGIN_PT:
        raise ValueError(f"receipt line too wide: {line}")


def draw_receipt(r: Receipt, background: float) -> pymupdf.Pixmap:
    """Draw a receipt on a narrow page and render it at RECEIPT_WIDTH_PX."""
    lines = receipt_lines(r)
    rule_gap = 10.0
    height = 2 * 24 + sum(RECEIPT_LINE_PT + (rule_gap if ln.rule_before else 0) for ln in lines)
    doc = pymupdf.open()
    page = doc.new_page(width=RECEIPT_WIDTH_PT, height=height)
    if background < 1:
        gray = (background, background, background)
        page.draw_rect(page.rect, color=None, fill=gray, width=0)
    x0, x1 = RECEIPT_MARGIN_PT, RECEIPT_WIDTH_PT - RECEIPT_MARGIN_PT
    y = 24.0
    for line in lines:
        check_fits(line)
        if line.rule_before:
            y += rule_gap
            dash_y = y + 2
            page.draw_line((x0, dash_y), (x1, dash_y), color=(0, 0, 0), width=1, dashes="[4 3] 0")
        y += RECEIPT_LINE_PT
        font = MONO_BOLD_FONT if line.bold else MONO_FONT
        if line.center:
            put_center(
                page, RECEIPT_WIDTH_PT / 2, y - 6, line.left, fontname=font, fontsize=line.size
            )
        else:
            page.insert_text((x0, y - 6), line.left, fontname=font, fontsize=line.size)
        if line.right:
            put_right(page, x1, y - 6, line.right, fontname=font, fontsize=line.size)
    matrix = pymupdf.Matrix(RECEIPT_ZOOM, RECEIPT_ZOOM)
    return page.get_pixmap(matrix=matrix, colorspace=pymupdf.csGRAY, alpha=False)


def make_receipt_png(path: Path) -> None:
    """White thermal receipt, 8-bit greyscale PNG."""
    pix = draw_receipt(GREENLEAF, background=1.0)
    path.write_bytes(pix.tobytes("png"))


def make_receipt_jpg(path: Path) -> None:
    """Light-grey 'photographed' receipt, RGB JPEG q90 via Pillow, no EXIF."""
    pix = draw_receipt(MERIDIAN, background=245 / 255)
    gray = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    # A faint warm tint, as under indoor light; contrast is unchanged for OCR.
    rgb = Image.merge("RGB", (gray, gray, gray.point(lambda v: max(0, v - 4))))
    buf = io.BytesIO()
    rgb.save(buf, format="JPEG", quality=90, optimize=True)
    path.write_bytes(buf.getvalue())


# --------------------------------------------------------------------------- main


def main() -> None:
    """Regenerate every sample file and print its size."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    jobs = {
        "letter_3pages.pdf": make_letter,
        "report_14pages.pdf": make_report,
        "receipt.png": make_receipt_png,
        "receipt.jpg": make_receipt_jpg,
    }
    for name, make in jobs.items():
        path = OUT_DIR / name
        make(path)
        print(f"{path.relative_to(OUT_DIR.parent.parent)}  {path.stat().st_size:>8,} bytes")


if __name__ == "__main__":
    main()
