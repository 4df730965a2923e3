"""Each answered page checked for a degenerate answer, and the trust its row starts from.

A page whose answer is degenerate is asked once more with other sampling (page_unit); the
answer kept is the better of the two (`settle`): one with no finding beats one with findings,
else the one whose findings cost less; when neither is usable the page is an error row. The
kept row says what happened in its warnings, so a degenerate answer is never `ok` without one.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from extractors.answer.degenerate import Degeneracy, Finding, finding, page_findings, score
from extractors.load.scripts import main_script
from extractors.offline.ocr_trust import ocr_trust
from extractors.offline.scripts import engine_reads
from extractors.records import EndpointAnswer, RenderedImage, TextLayer
from extractors.trust import Doubt, Trust, model_base
from schemas import PageRow, TextLayerVerdict

# A page asked again is a little less sure even when the second answer is clean: the first
# one went wrong, and nothing says the second is not wrong in a way no check sees.
REASKED_FACTOR = 0.9
# The embedded engine's reading when it sent no line report of its own (its prior).
ENGINE_PRIOR = 0.9
# The embedded engine gives the same reading every time: its degenerate answers are not asked
# again, and even one that is not usable is kept (its warning says why), at least this low.
_ENGINE_FLOOR = 0.2
# Layers whose letters say which script the page is in: a garbled layer's letters are the
# wrong ones, a scan's few labels may be in another language than the scan.
_SCRIPT_VERDICTS = frozenset({TextLayerVerdict.USABLE, TextLayerVerdict.OCR_LAYER})
# A page in a script the embedded engine cannot read: its layer kept instead (a garbled layer
# may still be closer than nothing), or its reading sent, missing that script's lines.
LAYER_KEPT_FACTOR = 0.5
UNREAD_SCRIPT_FACTOR = 0.2


@dataclass(frozen=True)
class CheckedPage:
    """One page of an answer: its image (numbered as in the request), item and findings."""

    number: int
    image: RenderedImage
    item: BaseModel
    findings: tuple[Finding, ...]

    @property
    def page(self) -> int:
        return self.image.page

    @property
    def usable(self) -> bool:
        return all(found.usable for found in self.findings)


def check_pages(
    answered: Sequence[tuple[int, RenderedImage, BaseModel]],
    answer: EndpointAnswer,
    layers: tuple[TextLayer, ...],
    images: int,
) -> list[CheckedPage]:
    """Every answered page with its findings. An answer cut off at its token limit doubts the
    request's last image (of `images`) when it is there: it was being written when the limit
    came (items before it are whole; a last image missing is asked again as missing)."""
    cut_off = answer.finish_reason == "length"
    return [
        CheckedPage(
            number,
            image,
            item,
            page_findings(
                text_of(item),
                image.ink,
                page_script(layers, image.page),
                cut_off=cut_off and number == images,
            ),
        )
        for number, image, item in answered
    ]


def page_script(layers: tuple[TextLayer, ...], page: int) -> str | None:
    """The page's script when its text layer can tell (a usable layer, an old OCR's)."""
    layer = layers[page - 1] if layers else None
    if layer is None or layer.verdict not in _SCRIPT_VERDICTS:
        return None
    return layer.script or main_script(layer.text)


def text_of(item: BaseModel) -> str:
    """The page's text in an item (`page_text`), else the item as JSON (other page schemas)."""
    text = getattr(item, "text", None)
    return text if isinstance(text, str) else item.model_dump_json()


def cut_off_note() -> Doubt:
    """The note of a page asked again because the answer that should hold it was cut off."""
    return reasked_doubt([finding(Degeneracy.CUT_OFF, "")])


def reasked_doubt(findings: Sequence[Finding]) -> Doubt:
    """The note of a page asked again: what its first answer was."""
    names = " and ".join(dict.fromkeys(found.name for found in findings))
    return Doubt(f"asked again after {names}", REASKED_FACTOR)


def base_trust(answer: EndpointAnswer, number: int, engine: bool) -> Trust:
    """What a reading is worth before its findings: the engine's line scores for its image,
    or the model's token probabilities."""
    if not engine:
        return Trust(model_base(answer.mean_logprob))
    report = next((page for page in answer.ocr_pages if page.image == number), None)
    return ocr_trust(report) if report is not None else Trust(ENGINE_PRIOR)


def finding_doubts(findings: Sequence[Finding], engine: bool) -> tuple[Doubt, ...]:
    """The findings as doubts of a kept row (the engine's floored: its rows are kept)."""
    doubts = (found.doubt for found in findings)
    if not engine:
        return tuple(doubts)
    return tuple(Doubt(d.warning, max(d.factor, _ENGINE_FLOOR)) for d in doubts)


def unread_script(layer: TextLayer | None, engine: bool) -> str | None:
    """The script of a page's layer that the embedded engine cannot read, for its runs."""
    # A scan's few labels (a stamp, a page number) may be in another script than the scan.
    if not engine or layer is None or layer.verdict == TextLayerVerdict.SCAN_LABELS:
        return None
    script = layer.script or main_script(layer.text)
    return None if engine_reads(script) else script


def unread_script_doubt(script: str, layer_kept: bool) -> Doubt:
    warning = f"script not supported by the embedded engine: {script}"
    if layer_kept:
        return Doubt(f"{warning}; the text layer was kept", LAYER_KEPT_FACTOR)
    return Doubt(warning, UNREAD_SCRIPT_FACTOR)


@dataclass(frozen=True)
class HeldAnswer:
    """A page's first, degenerate answer, held while it is asked again: its findings and the
    ok row it makes if nothing better comes (None when it is not usable)."""

    page: int
    findings: tuple[Finding, ...]
    row: PageRow | None


def keeps_first(held: HeldAnswer, second: CheckedPage | None) -> bool | None:
    """True to keep the first answer, False the second, None when neither is usable."""
    first = score(held.findings) if held.row is not None else 0.0
    again = score(second.findings) if second is not None else 0.0
    if again > first:
        return False
    return True if first > 0.0 else None


def no_usable_answer(held: HeldAnswer, second: CheckedPage | None, asked_once: bool = False) -> str:
    """The error of a page with no usable answer, naming what came back each time."""
    first = "; ".join(found.detail for found in held.findings)
    if asked_once:
        return f"no usable answer: {first}"
    if second is None:
        return f"no usable answer: {first}; asked again, the page got no answer"
    again = "; ".join(found.detail for found in second.findings)
    if again == first:
        return f"no usable answer: {first} (asked twice)"
    return f"no usable answer: {first}; asked again: {again}"
