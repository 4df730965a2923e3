"""What a dry run counts, file by file, and adds up in all, per folder and per format."""

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from extractors.document.chunk_sender import new_request_id
from extractors.document.dry_run_batch import BatchFilePlan, LineSizer
from extractors.endpoint.prompt import layer_text_tokens
from extractors.plan.profiles.base import TokenProfile
from extractors.plan.sizing import size_page
from extractors.records import (
    IMAGE_LABEL_TOKENS,
    ChunkPlan,
    DocumentLayout,
    PlannedPage,
    PreparedRequest,
    RenderedImage,
    SourceFile,
)


@dataclass
class Counts:
    """The work of some files: what they hold, what is done, and what a run would ask."""

    files: int = 0
    # Files with nothing left to ask (all their pages, or their document row, already ok).
    files_done: int = 0
    unreadable: int = 0
    # Pages of the files read (a document schema's finished documents are not opened).
    pages: int = 0
    pages_done: int = 0
    # Pages read from their own text layer, no image drawn (page_text: no request at all).
    text_layer_pages: int = 0
    # The image tokens (labels included) those pages would have cost drawn, as they are planned
    # for drawn pages; and, for a document schema, the tokens of the text sent in their place.
    text_layer_image_tokens: int = 0
    text_layer_text_tokens: int = 0
    # Pages to be drawn cut to their content box (`--crop-margins`): the image tokens (labels
    # included) they would cost whole, sized as a run without the option sizes them, and cut.
    cropped_pages: int = 0
    cropped_whole_image_tokens: int = 0
    cropped_image_tokens: int = 0
    # Pages too large for any request: error rows, never sent.
    pages_unfit: int = 0
    requests: int = 0
    images: int = 0
    image_tokens: int = 0
    # The prompt's text, text layers sent beside images or instead of them.
    text_tokens: int = 0
    answer_room: int = 0

    def absorb(self, other: "Counts") -> None:
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def prompt_tokens(self) -> int:
        return self.image_tokens + self.text_tokens

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "prompt_tokens": self.prompt_tokens}


@dataclass(frozen=True)
class UnreadableFile:
    """A file a run would make one error row of, and why."""

    path: str
    format: str
    reason: str


@dataclass(frozen=True)
class StandIn:
    """A request as the run would build it, its images left without bytes."""

    request: PreparedRequest
    image_tokens: int
    text_tokens: int


def stand_in(
    source: SourceFile,
    plan: ChunkPlan,
    texts: dict[int, str],
    prompt_tokens: int,
    document_pages: int = 0,
) -> StandIn:
    """The request of one chunk, built as `ChunkSender.rendered` builds it, nothing drawn."""
    to_draw = tuple(p for p in plan.pages if not p.as_text)
    as_text = tuple(p for p in plan.pages if p.as_text)
    images = tuple(RenderedImage(p.page, p.width, p.height, "image/jpeg", b"") for p in to_draw)
    hints = tuple(texts.get(p.page, "") for p in to_draw)
    request = PreparedRequest(
        new_request_id(),
        source,
        plan,
        images,
        document_pages=document_pages,
        layer_texts=hints if any(hints) else (),
        text_pages=tuple((p.page, texts[p.page]) for p in as_text if p.page in texts),
    )
    image_tokens = sum(p.image_tokens + IMAGE_LABEL_TOKENS for p in to_draw)
    sent_as_text = sum(p.image_tokens + IMAGE_LABEL_TOKENS for p in as_text)
    text_tokens = prompt_tokens + layer_text_tokens(hints) + sent_as_text
    return StandIn(request, image_tokens, text_tokens)


def count_cropped(
    counts: Counts,
    layout: DocumentLayout,
    pages: Iterable[PlannedPage],
    profile: TokenProfile,
    image_budget: int,
) -> None:
    """Of a request's pages, those drawn cut to their content box: the tokens each would cost
    whole, sized alone as `size_pages` sizes a page without `--crop-margins`, and cut."""
    boxes = layout.content_boxes
    for page in pages:
        if page.as_text or not boxes or boxes[page.page - 1] is None:
            continue  # not drawn, or drawn whole: nothing cropped
        # Never too large: a cropped page's budget is its whole page's, so it would not be drawn.
        whole = size_page(page.page, *layout.whole_size(page.page), profile, image_budget)
        counts.cropped_pages += 1
        counts.cropped_whole_image_tokens += whole.image_tokens + IMAGE_LABEL_TOKENS
        counts.cropped_image_tokens += page.image_tokens + IMAGE_LABEL_TOKENS


def _folder(path: str) -> str:
    """The folder a file is in, as it was found (a URL's too)."""
    head, _, _ = path.rpartition("/")
    return head or "."


@dataclass
class WorkTally:
    """Counts per file while its document is planned, added up when it is done."""

    prompt_tokens: int
    sizer: LineSizer | None = None
    batch: BatchFilePlan | None = None
    totals: Counts = field(default_factory=Counts)
    by_folder: dict[str, Counts] = field(default_factory=dict)
    by_format: dict[str, Counts] = field(default_factory=dict)
    unreadable: list[UnreadableFile] = field(default_factory=list)
    _open: dict[str, tuple[str, Counts]] = field(default_factory=dict)

    def file(self, source: SourceFile) -> Counts:
        """The counts of this file (its path as found), opened at its first mention."""
        if source.path not in self._open:
            self._open[source.path] = (source.format or "unknown", Counts(files=1))
        return self._open[source.path][1]

    def file_at(self, path: str) -> Counts:
        """The counts of a file mentioned by path only (a row's `source`)."""
        return self._open[path][1] if path in self._open else self.file(SourceFile(path, "", ""))

    def unreadable_file(self, source: SourceFile, reason: str) -> None:
        self.file(source).unreadable = 1
        self.unreadable.append(UnreadableFile(source.path, source.format or "unknown", reason))

    def request(self, counts: Counts, standing: StandIn, answer_room: int) -> None:
        """One request a run would send for this file, and its line in the batch files."""
        counts.requests += 1
        counts.images += len(standing.request.images)
        counts.image_tokens += standing.image_tokens
        counts.text_tokens += standing.text_tokens
        counts.answer_room += answer_room
        if self.sizer is not None and self.batch is not None:
            self.batch.add(self.sizer.size(standing.request))

    def close_files(self) -> None:
        """The files planned so far, added to the totals and their folder's and format's."""
        for path, (file_format, counts) in self._open.items():
            self.totals.absorb(counts)
            self.by_folder.setdefault(_folder(path), Counts()).absorb(counts)
            self.by_format.setdefault(file_format, Counts()).absorb(counts)
        self._open.clear()

    def subtotals(self) -> dict[str, Any]:
        return {
            "by_folder": {k: v.as_dict() for k, v in sorted(self.by_folder.items())},
            "by_format": {k: v.as_dict() for k, v in sorted(self.by_format.items())},
        }
