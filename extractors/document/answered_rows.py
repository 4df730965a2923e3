"""The rows of the pages one answer holds: ok with their trust, held to be asked again after a
degenerate answer, settled against a first answer, or an error when nothing usable came."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from extractors.document.answer_checks import (
    CheckedPage,
    HeldAnswer,
    base_trust,
    finding_doubts,
    keeps_first,
    no_usable_answer,
    reasked_doubt,
    unread_script,
    unread_script_doubt,
)
from extractors.document.page_rows import PageRowBuilder
from extractors.endpoint.providers import LOCAL
from extractors.load.mupdf_messages import mupdf_doubt
from extractors.load.scripts import script_counts
from extractors.records import DocumentLayout, EndpointAnswer, TextLayer
from extractors.trust import Doubt, Trust
from schemas import ErrorCategory, PageRow


@dataclass(frozen=True)
class AnsweredRows:
    """Makes the rows of answered pages, by the rules of answer_checks."""

    rows: PageRowBuilder

    @property
    def engine(self) -> bool:
        """Whether the pages sent are read by the embedded engine, not a model."""
        return self.rows.context.provider == LOCAL

    def kept_layer(self, layer: TextLayer | None) -> TextLayer | None:
        """A page's layer kept as its text, with a warning, when it is in a script the embedded
        engine cannot read and has letters of it; None when the page is to be sent."""
        script = unread_script(layer, self.engine)
        if layer is None or script is None or not script_counts(layer.text)[script]:
            return None
        return replace(layer, doubts=(*layer.doubts, unread_script_doubt(script, True)))

    def of_answer(
        self,
        layout: DocumentLayout,
        answer: EndpointAnswer,
        checked: Sequence[CheckedPage],
        attempts: int,
        held: Sequence[HeldAnswer] = (),
        may_reask: bool = True,
        notes: tuple[Doubt, ...] = (),
        page_notes: Mapping[int, tuple[Doubt, ...]] | None = None,
    ) -> tuple[list[PageRow], list[HeldAnswer]]:
        """Rows of the pages an answer holds, and the pages held to be asked again (a model's
        degenerate answers, when `may_reask`); `held` are first answers this one settles,
        `notes` doubts of every page (why they were asked again), `page_notes` of some (a
        layer hint cut to fit)."""
        first = {h.page: h for h in held}
        reasked = {c.page for c in checked if c.findings and may_reask and not self.engine}
        page_notes = page_notes or {}
        trusts = [
            self.trust(layout, answer, c, first.get(c.page), c.page in reasked).doubted(
                *notes, *page_notes.get(c.page, ())
            )
            for c in checked
        ]
        built = self.rows.ok_rows(
            layout.source,
            layout.page_count,
            [(c.image, c.item) for c in checked],
            answer,
            attempts,
            layout.text_layers,
            trusts=trusts,
        )
        rows: list[PageRow] = []
        again: list[HeldAnswer] = []
        for c, row in zip(checked, built, strict=True):
            if c.page in reasked:
                again.append(HeldAnswer(c.page, c.findings, row if c.usable else None))
            elif c.page in first:
                rows.append(self.settled(layout, first[c.page], c, row, attempts))
            elif c.usable or self.engine:
                rows.append(row)
            else:
                error = no_usable_answer(
                    HeldAnswer(c.page, c.findings, None), None, asked_once=True
                )
                rows.append(self.answer_error(layout, c.page, error, attempts))
        return rows, again

    def trust(
        self,
        layout: DocumentLayout,
        answer: EndpointAnswer,
        checked: CheckedPage,
        held: HeldAnswer | None,
        reasked: bool,
    ) -> Trust:
        """A page's trust: what read it, its findings, a re-ask's note, a script unread, what
        drawing it said."""
        trust = base_trust(answer, checked.number, self.engine)
        doubts = list(finding_doubts(checked.findings, self.engine))
        doubts += [mupdf_doubt(note) for note in checked.image.notes]
        if reasked:
            doubts.append(reasked_doubt(checked.findings))
        if held is not None:
            doubts.append(reasked_doubt(held.findings))
        script = unread_script(layout.text_layer(checked.page), self.engine)
        if script is not None:
            unread = unread_script_doubt(script, layer_kept=False)
            # The engine's own report may say it already.
            doubts += [unread] if unread.warning not in trust.warnings else []
        return trust.doubted(*doubts)

    def settled(
        self,
        layout: DocumentLayout,
        held: HeldAnswer,
        second: CheckedPage | None,
        row: PageRow | None,
        attempts: int,
    ) -> PageRow:
        """The row of a page asked again: the better of its two answers, or an error."""
        keep_first = keeps_first(held, second)
        if keep_first and held.row is not None:
            return held.row
        if keep_first is False and row is not None:
            return row
        return self.answer_error(layout, held.page, no_usable_answer(held, second), attempts)

    def answer_error(self, layout: DocumentLayout, page: int, error: str, attempts: int) -> PageRow:
        return self.rows.error_row(
            layout.source,
            page,
            layout.page_count,
            error,
            ErrorCategory.ANSWER,
            attempts,
            None,
            layout.text_layers,
        )
