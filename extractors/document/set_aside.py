"""Pages drawn but not sent: blank ones, and ones whose image this run has answered already.

A blank page (`RenderedImage.blank`, judged in the render worker by `extractors/load/blank.py`)
gets an `ok` row with no text and the warning `blank page`. A page whose image is identical,
byte for byte as it would be sent, to one already answered `ok` in this run (a cover sheet, a
repeated form, the same page in two files) gets a copy of that row, warned with the page it
copies. Neither makes a request. A copy is made only of a row already written: an identical
page drawn while its first is still on the wire is sent too (no page ever waits on another).
A rerun on the same DIR copies the rows of earlier runs too (`sink/answered_images.py`): each
row keeps its image's digest (`image_sha256`), and the newest ones answered are remembered.
"""

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from extractors.records import PlannedPage, RenderedImage, SourceFile
from extractors.sink.answered_images import StoredAnswers, StoredImage
from schemas import PageRow, RowStatus

BLANK_WARNING = "blank page"

# Rows kept to copy from: repeated pages of an archive recur within a few thousand pages, and
# each row held costs its text (a few kB).
_REMEMBERED = 4096


@dataclass(frozen=True)
class Duplicate:
    """A page whose image was answered already: the row it copies."""

    planned: PlannedPage
    image: RenderedImage
    original: PageRow


def copy_warning(original: PageRow) -> str:
    return f"same image as {original.source} page {original.page}: its row copied, not asked"


def image_sha256(image: RenderedImage) -> str | None:
    """A row's `image_sha256`: the hex digest of its image's bytes; None for a stand-in image
    that holds none (a batch file's page, drawn in another run)."""
    return image.sha256.hex() if image.data else None


class AnsweredImages:
    """This run's ok page rows by their image's digest (the most recent few thousand), and
    where the newest ones of earlier runs on DIR are (`stored`, read when a first page is
    drawn; their rows only when a page copies one)."""

    def __init__(self, remembered: int = _REMEMBERED, stored: StoredAnswers | None = None) -> None:
        self._rows: OrderedDict[bytes, PageRow] = OrderedDict()
        # Digests of pages drawn and sent, until their rows are written. Bounded too: a batch
        # run's pages get their rows only at ingest, in another run.
        self._drawn: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._remembered = remembered
        self._stored = stored
        # Earlier runs' images by where their rows are (`StoredAnswers.newest`).
        self._earlier: OrderedDict[bytes, StoredImage] | None = None

    def original_of(self, source: SourceFile, image: RenderedImage) -> PageRow | None:
        """The ok row of an identical image, or None (and its digest noted, for its row)."""
        digest = image.sha256
        original = self._rows.get(digest) or self._from_earlier_run(digest)
        if original is None:
            self._drawn[(source.path, image.page)] = digest
            if len(self._drawn) > 4 * self._remembered:
                self._drawn.popitem(last=False)
            return None
        self._rows.move_to_end(digest)
        return original

    def finished(self, rows: Iterable[PageRow]) -> None:
        """Rows written: an ok row of a page drawn and sent is remembered by its image."""
        for row in rows:
            if row.page is None:
                continue
            digest = self._drawn.pop((row.source, row.page), None)
            if digest is not None and row.status == RowStatus.OK:
                self._remember(digest, row)

    def _from_earlier_run(self, digest: bytes) -> PageRow | None:
        """The stored row of an image an earlier run answered, remembered from now on as this
        run's; None when there is none (or it is gone since: the page is sent)."""
        if self._stored is None:
            return None
        if self._earlier is None:
            self._earlier = OrderedDict(self._stored.newest)
        where = self._earlier.pop(digest, None)
        row = self._stored.row(digest, where) if where is not None else None
        if row is not None:
            self._remember(digest, row)
        return row

    def _remember(self, digest: bytes, row: PageRow) -> None:
        self._rows[digest] = row
        if len(self._rows) > self._remembered:
            self._rows.popitem(last=False)


@dataclass(frozen=True)
class SetAside:
    """Which drawn pages are not sent: blank ones unless `--keep-blank`, copies of pages
    answered already unless `--keep-duplicates` (then `answered` is None)."""

    answered: AnsweredImages | None
    skip_blank: bool = True

    def sort(
        self, source: SourceFile, drawn: list[tuple[PlannedPage, RenderedImage]]
    ) -> tuple[
        list[tuple[PlannedPage, RenderedImage]], tuple[RenderedImage, ...], tuple[Duplicate, ...]
    ]:
        """The pages to send, the blank ones, and the copies."""
        send: list[tuple[PlannedPage, RenderedImage]] = []
        blank: list[RenderedImage] = []
        copies: list[Duplicate] = []
        for planned, image in drawn:
            if self.skip_blank and image.blank:
                blank.append(image)
            elif (original := self._original(source, image)) is not None:
                copies.append(Duplicate(planned, image, original))
            else:
                send.append((planned, image))
        return send, tuple(blank), tuple(copies)

    def _original(self, source: SourceFile, image: RenderedImage) -> PageRow | None:
        return self.answered.original_of(source, image) if self.answered is not None else None

    def finished(self, rows: Iterable[PageRow]) -> None:
        if self.answered is not None:
            self.answered.finished(rows)


def page_set_aside(
    keep_blank: bool, keep_duplicates: bool, stored: StoredAnswers | None = None
) -> SetAside:
    """The pages a per-page run answers without a request, as its options say; `stored`: the
    ok rows earlier runs left in DIR, which a page may copy too."""
    answered = None if keep_duplicates else AnsweredImages(stored=stored)
    return SetAside(answered, skip_blank=not keep_blank)
