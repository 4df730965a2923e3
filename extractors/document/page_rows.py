"""Building the rows of `DIR/pages/`: one per page, ok or error, with what it cost."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from extractors.document.set_aside import BLANK_WARNING, Duplicate, copy_warning, image_sha256
from extractors.endpoint.providers import LOCAL
from extractors.plan.profiles.base import TokenProfile
from extractors.records import (
    Box,
    EndpointAnswer,
    PlannedPage,
    RenderedImage,
    RowContext,
    SourceFile,
    TextLayer,
)
from extractors.trust import LAYER_BASE, Doubt, Trust, model_base
from schemas import ErrorCategory, PageRow, RowStatus, TextSource
from schemas.page_row import PageCrop, TextFormat

NO_TEXT_FOUND = "no text found"
# An ok page with nothing on it is most often a photo or a blank page: a note, not a fault
# (an empty answer for a page with ink is a degenerate answer, judged where answers are).
_NOTHING_READ = Doubt(NO_TEXT_FOUND, 1.0)
# A blank page's: judged from its pixels with a conservative threshold (0 false blanks on the
# corpus, benchmarks/blank_pages.py), still not a reading.
BLANK_CONFIDENCE = 0.95


@dataclass(frozen=True)
class PageRowBuilder:
    """Makes a run's page rows: ok with their share of what the request cost, or error."""

    context: RowContext
    profile: TokenProfile

    def ok_rows(
        self,
        source: SourceFile,
        page_count: int,
        answered: list[tuple[RenderedImage, BaseModel]],
        answer: EndpointAnswer,
        attempts: int,
        text_layers: tuple[TextLayer, ...] = (),
        trusts: Sequence[Trust] | None = None,
    ) -> list[PageRow]:
        """Rows of the pages one answer covered, each with its share of the request's tokens
        and its trust (by default the model's, from the answer's token probabilities)."""
        image_tokens = [self.profile.image_tokens(img.width, img.height) for img, _ in answered]
        texts = [_text_of(item) for _, item in answered]
        prompt_shares = _shares(answer.prompt_tokens, image_tokens)
        completion_shares = _shares(answer.completion_tokens, [len(t) + 1 for t in texts])
        now = datetime.now(UTC)
        if trusts is None:
            trusts = [Trust(model_base(answer.mean_logprob))] * len(answered)
        return [
            PageRow(
                **self._provenance(source, image.page, page_count, now),
                status=RowStatus.OK,
                text=text,
                text_format=self._answer_format,
                error=None,
                error_category=None,
                request_id=answer.request_id,
                request_images=len(answered),
                attempts=attempts,
                prompt_tokens=prompt_share,
                completion_tokens=completion_share,
                image_tokens=tokens,
                width=image.width,
                height=image.height,
                rotation=image.rotation,
                crop=crop_column(image.crop),
                image_sha256=image_sha256(image),
                latency_ms=round(answer.latency_ms, 1),
                text_source=self._answered_by,
                **_trust_columns(trust, text),
                **_layer_figures(text_layers, image.page),
            )
            for (image, _), text, tokens, prompt_share, completion_share, trust in zip(
                answered, texts, image_tokens, prompt_shares, completion_shares, trusts, strict=True
            )
        ]

    def error_row(
        self,
        source: SourceFile,
        page: int | None,
        page_count: int | None,
        error: str,
        category: ErrorCategory,
        attempts: int = 0,
        planned: PlannedPage | None = None,
        text_layers: tuple[TextLayer, ...] = (),
    ) -> PageRow:
        """A row that says why a page (or a whole file, page None) has no result."""
        return PageRow(
            **self._provenance(source, page, page_count, datetime.now(UTC)),
            status=RowStatus.ERROR,
            text=None,
            error=error,
            error_category=category,
            request_id=None,
            request_images=None,
            attempts=attempts,
            prompt_tokens=None,
            completion_tokens=None,
            image_tokens=planned.image_tokens if planned else None,
            width=planned.width if planned else None,
            height=planned.height if planned else None,
            latency_ms=None,
            **_layer_figures(text_layers, page),
        )

    def layer_row(
        self, source: SourceFile, page: int, page_count: int, layer: TextLayer
    ) -> PageRow:
        """A page whose own text layer is its text: exact, and no request made."""
        return PageRow(
            **self._provenance(source, page, page_count, datetime.now(UTC)),
            status=RowStatus.OK,
            text=layer.markdown or layer.text,
            text_format=TextFormat.MARKDOWN if layer.markdown else TextFormat.PLAIN,
            error=None,
            error_category=None,
            request_id=None,
            request_images=None,
            attempts=0,
            prompt_tokens=None,
            completion_tokens=None,
            image_tokens=None,
            width=None,
            height=None,
            latency_ms=None,
            text_source=TextSource.TEXT_LAYER,
            **_trust_columns(Trust(LAYER_BASE, layer.doubts), layer.text),
            text_layer=layer.verdict,
            text_layer_chars=layer.chars,
            image_coverage=layer.image_coverage,
        )

    @property
    def _answered_by(self) -> TextSource:
        return answered_by(self.context)

    @property
    def _answer_format(self) -> TextFormat:
        """The embedded engine answers its lines as they are; a model is asked for Markdown
        (`schemas/pages.py`) and its answer is taken as such, not checked."""
        return TextFormat.PLAIN if self._answered_by == TextSource.OCR else TextFormat.MARKDOWN

    def blank_row(self, source: SourceFile, page_count: int, image: RenderedImage) -> PageRow:
        """A page with no ink but noise: ok, no text, and no request made."""
        return PageRow(
            **self._provenance(source, image.page, page_count, datetime.now(UTC)),
            status=RowStatus.OK,
            text="",
            text_format=TextFormat.PLAIN,
            error=None,
            error_category=None,
            request_id=None,
            request_images=None,
            attempts=0,
            prompt_tokens=None,
            completion_tokens=None,
            image_tokens=None,
            width=image.width,
            height=image.height,
            rotation=image.rotation,
            crop=crop_column(image.crop),
            image_sha256=image_sha256(image),
            latency_ms=None,
            text_source=TextSource.BLANK,
            warnings=[BLANK_WARNING],
            confidence=BLANK_CONFIDENCE,
        )

    def duplicate_row(self, source: SourceFile, page_count: int, copy: Duplicate) -> PageRow:
        """A page whose image is one answered already: that row, as this page's, no request."""
        original = copy.original
        return original.model_copy(
            update={
                **self._provenance(source, copy.image.page, page_count, datetime.now(UTC)),
                "request_id": None,
                "attempts": 0,
                "prompt_tokens": None,
                "completion_tokens": None,
                "latency_ms": None,
                "crop": crop_column(copy.image.crop),
                # The same image, by the digest it was found by (a batch file's stand-in
                # image holds no bytes: then the original's).
                "image_sha256": image_sha256(copy.image) or original.image_sha256,
                "warnings": [*original.warnings, copy_warning(original)],
            }
        )

    def copied_row(self, stored: dict[str, object], source: SourceFile) -> PageRow:
        """A stored ok row of identical content found again at another path."""
        # A new extraction time: the copy must supersede older rows of this path in compaction.
        fields = {
            **stored,
            "source": source.path,
            "run_id": self.context.run_id,
            "extracted_at": datetime.now(UTC),
        }
        return PageRow.model_validate(fields)

    def _provenance(
        self, source: SourceFile, page: int | None, page_count: int | None, now: datetime
    ) -> dict[str, Any]:
        return {
            "source": source.path,
            "source_sha256": source.sha256,
            "source_format": source.format,
            "page": page,
            "page_count": page_count,
            **self.context.provenance(),
            "extracted_at": now,
        }


def answered_by(context: RowContext) -> TextSource:
    """Who read the pages sent: the embedded OCR engine, or a model behind an endpoint."""
    return TextSource.OCR if context.provider == LOCAL else TextSource.MODEL


def crop_column(crop: Box | None) -> PageCrop | None:
    """The row's `crop`: the part of the page its image holds; None for the whole page."""
    return None if crop is None else PageCrop(x0=crop.x0, y0=crop.y0, x1=crop.x1, y1=crop.y1)


def _layer_figures(layers: tuple[TextLayer, ...], page: int | None) -> dict[str, Any]:
    """The page's text-layer verdict and figures, for its row (nothing for images)."""
    if not layers or page is None:
        return {}
    layer = layers[page - 1]
    return {
        "text_layer": layer.verdict,
        "text_layer_chars": layer.chars,
        "image_coverage": layer.image_coverage,
    }


def _trust_columns(trust: Trust, text: str) -> dict[str, Any]:
    """`warnings` and `confidence` of an ok row; an empty text says so, rather than pass as a
    transcription."""
    if not text.strip():
        trust = trust.doubted(_NOTHING_READ)
    return {"warnings": trust.warnings, "confidence": trust.confidence}


def _text_of(item: BaseModel) -> str:
    text = getattr(item, "text", None)
    return text if isinstance(text, str) else item.model_dump_json()


def _shares(total: int | None, weights: list[int]) -> list[int | None]:
    """Split a request's token count over its pages in proportion to `weights`."""
    if total is None or not weights:
        return [None] * len(weights)
    whole = sum(weights) or 1
    shares = [total * w // whole for w in weights]
    shares[-1] += total - sum(shares)  # the rounding remainder, so that shares add up
    return list(shares)
