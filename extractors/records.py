"""Typed, frozen records passed between the stages: source -> layout -> request -> answer."""

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

from extractors.trust import Doubt
from schemas.text_layer import TextLayerVerdict

# Text tokens each image adds besides its pixels: the "Image N:" label and the part wrapper.
IMAGE_LABEL_TOKENS = 8


@dataclass(frozen=True)
class PlannedPage:
    """A page with the size it will be sent at and what that costs; a page sent as its text
    layer alone (`--text-layer only`) has no size, and costs its text's tokens."""

    page: int
    width: int
    height: int
    image_tokens: int

    @property
    def as_text(self) -> bool:
        return self.width == 0


@dataclass(frozen=True)
class ChunkPlan:
    """The pages of one request, in document order."""

    pages: tuple[PlannedPage, ...]

    @property
    def image_tokens(self) -> int:
        return sum(p.image_tokens + IMAGE_LABEL_TOKENS for p in self.pages)


@dataclass(frozen=True)
class SourceFile:
    """An input file as found, identified by the hash of its bytes.

    `path` is the location rows show (a local path or a URL); `local_path`, when set, is the
    local copy of a remote input that the readers open.
    """

    path: str
    sha256: str
    format: str
    local_path: str = ""

    @property
    def readable_path(self) -> str:
        """The local file to open."""
        return self.local_path or self.path


@dataclass(frozen=True)
class Box:
    """A rectangle on a page: x0, y0 (top left), x1, y1, in the page's own units (PDF points
    for a text layer; pixels of the image as sent for OCR lines)."""

    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class PageWord:
    """A word of a page with where it is: a visible text-layer word, or an OCR line's text."""

    text: str
    box: Box


@dataclass(frozen=True)
class TextLayer:
    """A PDF page's own text, and the figures its verdict was made from."""

    verdict: TextLayerVerdict
    chars: int  # characters that are not spaces
    image_coverage: float  # share of the page's area under images
    # The text in reading order: kept when it is usable, or a hint (an old OCR layer).
    text: str = ""
    # What is doubtful about the layer even when it is used (hidden text left out...).
    doubts: tuple[Doubt, ...] = ()
    # The layer's main script by letter count (Unicode script name: "Latin", "Cyrillic"...);
    # None when it has no letters.
    script: str | None = None
    # Its visible words with their boxes, in PDF points (citations of document fields).
    words: tuple[PageWord, ...] = ()
    # A usable layer's visible text as Markdown (headings, paragraphs, lists): the row's text.
    # `text` stays plain, for the judge, the hints sent beside images and the character counts.
    markdown: str = ""

    @property
    def usable(self) -> bool:
        return self.verdict == TextLayerVerdict.USABLE


@dataclass(frozen=True)
class DocumentLayout:
    """A readable document: its pages' native sizes in pixels (PDF pages at the render DPI cap)
    and, for PDFs, each page's text layer (empty when it is not read: `--text-layer off`).

    With `--crop-margins`, `page_sizes` are those of the pages' content boxes (what is sized
    for the model), `content_boxes` the boxes as shares of each page (None: sent whole) and
    `whole_sizes` the pages' own sizes."""

    source: SourceFile
    page_sizes: tuple[tuple[int, int], ...]
    text_layers: tuple[TextLayer, ...] = ()
    content_boxes: tuple[Box | None, ...] = ()
    whole_sizes: tuple[tuple[int, int], ...] = ()

    def text_layer(self, page: int) -> TextLayer | None:
        return self.text_layers[page - 1] if self.text_layers else None

    def whole_size(self, page: int) -> tuple[int, int]:
        """The page's own size in pixels, margins included."""
        return (self.whole_sizes or self.page_sizes)[page - 1]

    @property
    def page_count(self) -> int:
        return len(self.page_sizes)


@dataclass(frozen=True)
class RenderedImage:
    """One page as it goes on the wire."""

    page: int
    width: int
    height: int
    mime: str
    data: bytes
    # Clockwise degrees the page was turned to stand upright; None when it was not judged.
    rotation: int | None = None
    # A render worker's time to draw and encode it: how fast pages can be had (pacing).
    drawn_seconds: float = field(default=0.0, compare=False)
    # Share of the image's pixels that are ink (clearly darker than the paper): a page with ink
    # and an empty answer is a failed reading, not a blank page.
    ink: float = 0.0
    # What drawing it said that its row should ("MuPDF: syntax error: unknown keyword...").
    notes: tuple[str, ...] = ()
    # Judged blank (no ink but noise: speckle, a punched hole, a page number): sent no request.
    blank: bool = False
    # The part of the page the image holds (`--crop-margins`), as shares of the page turned as
    # the image is; None: the whole page.
    crop: Box | None = None

    @cached_property
    def sha256(self) -> bytes:
        """The digest of the bytes sent, computed once: repeated pages are found by it (in a
        run, a rerun and a batch plan) and their rows keep it (`image_sha256`)."""
        return hashlib.sha256(self.data).digest()


@dataclass(frozen=True)
class Reask:
    """A previous answer that failed validation, and why: sent back so the model can fix it."""

    answer: str
    problems: str


@dataclass(frozen=True)
class PreparedRequest:
    """The images of one chunk of one document, ready to send."""

    request_id: str
    source: SourceFile
    chunk: ChunkPlan
    images: tuple[RenderedImage, ...]
    # Prompt tokens plus the answer room reserved for it: what `--tpm` charges before the
    # answer says what the request really cost.
    estimated_tokens: int = 0
    # Pages of the whole document, so a chunk of it can be told it is only part of it.
    document_pages: int = 0
    reask: Reask | None = None
    # Per image, its page's text layer to send beside it (`--text-layer auto|hint`), or "".
    layer_texts: tuple[str, ...] = ()
    # (page, its text layer) of the pages sent as text, with no image (`--text-layer only`).
    text_pages: tuple[tuple[int, str], ...] = ()
    # (page, characters sent, characters in its layer) of the layers cut to fit beside their
    # images: the rows say where.
    hint_cuts: tuple[tuple[int, int, int], ...] = ()
    # 0 for a first asking; n for the n-th asking again after a degenerate answer, sent with
    # other sampling (a higher temperature, another seed) so that it does not repeat itself.
    resample: int = 0


@dataclass(frozen=True)
class OcrLine:
    """A line the embedded engine read: its text, its recogniser score, and its box in the
    pixels of the image as sent."""

    text: str
    score: float
    box: Box


@dataclass(frozen=True)
class OcrPage:
    """What the embedded engine knows of one image it read, beyond the text it answered."""

    image: int  # 1-based, as numbered in the request
    lines: tuple[OcrLine, ...]
    # Lines the detector found, read or not: more than `lines` means lines went unread.
    detected_lines: int
    # Warnings of its own ("script not supported by the embedded engine: Cyrillic").
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class EndpointAnswer:
    """What the endpoint said to one request, with what it cost."""

    request_id: str
    content: str | None
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: float
    attempts: int
    # Mean log-probability of the answer's tokens, when the endpoint returned `logprobs`.
    mean_logprob: float | None = None
    # The embedded engine's line scores and boxes per image (its answers only).
    ocr_pages: tuple[OcrPage, ...] = ()

    @property
    def total_tokens(self) -> int | None:
        if self.prompt_tokens is None and self.completion_tokens is None:
            return None
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)


# What must match for a stored ok row to stand for this run's result on the same content.
LedgerKey = tuple[str, str, str, str, str]


@dataclass(frozen=True)
class RowContext:
    """What every row of a run says about how it was made."""

    run_id: str
    model: str
    provider: str
    schema_name: str
    schema_version: str
    prompt_version: str
    # Fingerprint of the options that shape what is sent (DPI cap, token profile, encoding).
    options_version: str

    def ledger_key(self, sha256: str) -> LedgerKey:
        """The resume key of this content under this run's model, schema, prompt and options."""
        return (
            sha256,
            self.model,
            self.schema_version,
            self.prompt_version,
            self.options_version,
        )

    def provenance(self) -> dict[str, str]:
        """The columns every row of this run shares."""
        return {
            "model": self.model,
            "provider": self.provider,
            "schema_name": self.schema_name,
            "schema_version": self.schema_version,
            "prompt_version": self.prompt_version,
            "options_version": self.options_version,
            "run_id": self.run_id,
        }
