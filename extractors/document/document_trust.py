"""How far a document row can be trusted: its chunks' answers, merge conflicts, and whether
each field's value is on its page (citations)."""

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from extractors.answer.citation_words import PageWords, layer_words
from extractors.answer.citations import cite_fields
from extractors.document.document_rows import RequestCosts
from extractors.endpoint.providers import LOCAL
from extractors.offline.ocr_trust import ocr_trust
from extractors.records import DocumentLayout, EndpointAnswer, RowContext
from extractors.trust import LAYER_BASE, MODEL_PRIOR, Doubt, Trust, model_base
from schemas import ErrorCategory
from schemas.trust import Citation

# Chunks that disagreed on a value: one of them was misread, and the row keeps one of them.
_CONFLICT_FACTOR = 0.8
# An answer that failed validation and was fixed when asked again: the fix is usually right,
# but the model was unsure of the document's shape.
REASKED = Doubt("asked again after an invalid answer", 0.9)


@dataclass(frozen=True)
class ChunkResult:
    """One chunk's validated fields, or why it has none; `replan` asks for a new plan."""

    costs: RequestCosts
    values: BaseModel | None = None
    error: str | None = None
    category: ErrorCategory | None = None
    raw_answer: str | None = None
    replan: bool = False
    # What the answer itself says of its trust (token probabilities, OCR line scores); None
    # for a chunk answer resumed from a killed run, which keeps only its values.
    trust: Trust | None = None
    # The words the embedded engine read on the chunk's pages, for citations.
    read: tuple[PageWords, ...] = ()


@dataclass(frozen=True)
class DocumentTrust:
    """Builds a document row's trust and citations."""

    context: RowContext
    # Layout page sizes are pixels at this DPI cap; text-layer words are in PDF points.
    max_dpi: int

    def of_answer(self, answer: EndpointAnswer) -> Trust:
        """The embedded engine's: its least sure image (line scores, lines unread), or, when
        it read no image (a receipt's text layer was sent), the layer's. A model's: its token
        probabilities, else the prior."""
        trusts = [ocr_trust(page) for page in answer.ocr_pages]
        if trusts:
            doubts = tuple(doubt for trust in trusts for doubt in trust.doubts)
            return Trust(min(trust.base for trust in trusts), doubts)
        if self.context.provider == LOCAL:
            return Trust(LAYER_BASE)
        return Trust(model_base(answer.mean_logprob))

    def of_row(
        self,
        layout: DocumentLayout,
        results: Sequence[ChunkResult],
        values: BaseModel,
        conflicts: Sequence[str],
    ) -> tuple[Trust, tuple[Citation, ...]]:
        """The row's trust: its least sure chunk's base (a resumed chunk's is the prior), the
        chunks' doubts, its layers' (hidden text left out), one per merge conflict, and those
        of fields not found on the pages."""
        trusts = [r.trust or Trust(MODEL_PRIOR) for r in results]
        doubts = [doubt for trust in trusts for doubt in trust.doubts]
        doubts += [doubt for layer in layout.text_layers if layer.usable for doubt in layer.doubts]
        doubts += [Doubt(f"chunks disagree: {c}", _CONFLICT_FACTOR) for c in conflicts]
        pages, unchecked = self.page_words(layout, results)
        cited = cite_fields(values, pages, unchecked)
        trust = Trust(min(t.base for t in trusts), (*doubts, *cited.doubts))
        return trust, cited.citations

    def page_words(
        self, layout: DocumentLayout, results: Sequence[ChunkResult]
    ) -> tuple[list[PageWords], list[int]]:
        """Each page's words, from its usable text layer, else from the engine's lines; and
        the pages that have neither (read by a remote model, or resumed without their lines).
        """
        read = {words.page: words for result in results for words in result.read}
        scale = self.max_dpi / 72
        pages, unchecked = [], []
        for page in range(1, layout.page_count + 1):
            width, height = layout.whole_size(page)  # a text layer's words are on the page
            layer = layout.text_layer(page)
            if layer is not None and layer.usable and layer.words:
                pages.append(layer_words(page, layer, (width / scale, height / scale)))
            elif page in read:
                pages.append(read[page])
            else:
                unchecked.append(page)
        return pages, unchecked
