"""Pages of a batch plan whose image is already in one of its lines: not written again.

Online, a page identical to one answered `ok` in the run takes a copy of that row
(`extractors/document/set_aside.py`). A batch plan has no answer yet, so a page whose image
(its `RenderedImage.sha256`, as set_aside finds repeats) a line of the plan already carries, in an
earlier line or earlier in the same one, is taken out of its request and recorded as a copy of
that line's page (`PageCopy`); at ingest it gets that page's row, or an error if it has none.
"""

from collections import OrderedDict
from dataclasses import dataclass, replace

from extractors.batch.lines import MappedPage, PageCopy
from extractors.records import ChunkPlan, PreparedRequest, SourceFile

# Pages remembered by their image: a copy of an older one is written again (paid twice, never
# lost). An entry holds a digest and the line's id, about 250 bytes: 100,000 take ~25 MB.
_REMEMBERED = 100_000


@dataclass(frozen=True)
class LinedPage:
    """Where an image went: the line (custom_id) and the page of its source."""

    custom_id: str
    page: int


@dataclass(frozen=True)
class SortedRequest:
    """A request with the pages a line already carries taken out (None if none is left),
    and those pages as copies."""

    request: PreparedRequest | None
    copies: tuple[PageCopy, ...]


class LinedImages:
    """The images written into the plan's lines, by digest (the most recent `remembered`)."""

    def __init__(self, remembered: int = _REMEMBERED) -> None:
        self._lined: OrderedDict[bytes, LinedPage] = OrderedDict()
        self._remembered = remembered

    def sort(self, request: PreparedRequest, page_count: int) -> SortedRequest:
        """The request without its pages already in a line; its own pages are noted as lined
        (the caller writes the request as a line before anything else is sorted)."""
        planned = {p.page: p for p in request.chunk.pages}
        kept: list[int] = []  # the images' indices
        copies: list[PageCopy] = []
        source = _plain(request.source)
        for index, image in enumerate(request.images):
            digest = image.sha256
            original = self._lined.get(digest)
            if original is None:
                kept.append(index)
                self._lined[digest] = LinedPage(request.request_id, image.page)
                if len(self._lined) > self._remembered:
                    self._lined.popitem(last=False)
                continue
            self._lined.move_to_end(digest)
            tokens = planned[image.page].image_tokens if image.page in planned else 0
            mapped = MappedPage(image.page, image.width, image.height, tokens)
            copies.append(PageCopy(original.custom_id, original.page, source, page_count, mapped))
        if not copies:
            return SortedRequest(request, ())
        copied = {copy.page.page for copy in copies}
        chunk = ChunkPlan(tuple(p for p in request.chunk.pages if p.page not in copied))
        images = tuple(request.images[i] for i in kept)
        # One text per image when any is sent beside them: those of the images kept.
        texts = tuple(request.layer_texts[i] for i in kept) if request.layer_texts else ()
        if not images and not request.text_pages:
            return SortedRequest(None, tuple(copies))
        # `estimated_tokens` is left as planned: it paces online sending, which a line is not.
        fewer = replace(request, chunk=chunk, images=images, layer_texts=texts)
        return SortedRequest(fewer, tuple(copies))


def _plain(source: SourceFile) -> SourceFile:
    """The source as a page map records it (no local copy's path)."""
    return SourceFile(source.path, source.sha256, source.format)
