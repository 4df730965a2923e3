"""A chunk of pages in flight, and the chunks that ask again for pages left without an answer:
missing from an answer (in a smaller request), or refused by the endpoint (split or shrunk)."""

from dataclasses import dataclass

from extractors.document.answer_checks import HeldAnswer, cut_off_note
from extractors.document.chunk_sender import Asked
from extractors.errors import PageDoesNotFitError
from extractors.options import BudgetOptions
from extractors.plan.chunking import split_chunk
from extractors.plan.profiles.base import TokenProfile
from extractors.plan.sizing import size_page
from extractors.records import ChunkPlan, EndpointAnswer, PlannedPage
from extractors.trust import Doubt


@dataclass(frozen=True)
class PageChunk:
    """A chunk in flight: its pages and the attempts already spent on them."""

    plan: ChunkPlan
    reasks_left: int
    prior_attempts: int = 0
    problems: tuple[str, ...] = ()
    # 1 when its pages are asked again after a degenerate answer, with other sampling.
    resample: int = 0
    # Those pages' first answers, kept if the second is no better.
    held: tuple[HeldAnswer, ...] = ()
    # Why its pages are asked again, for their rows (an answer cut off before them).
    notes: tuple[Doubt, ...] = ()


@dataclass(frozen=True)
class MissingRetry:
    """What becomes of the pages missing from an answer: asked again, or an error when their
    re-asks have run out."""

    chunks: list[PageChunk]
    error: str | None = None


def missing_retry(
    chunk: PageChunk,
    answer: EndpointAnswer,
    parsed_problems: tuple[str, ...],
    missing: tuple[PlannedPage, ...],
    nothing_usable: bool,
) -> MissingRetry:
    """Chunks asking again for `missing` pages (none when there are none)."""
    if not missing:
        return MissingRetry([])
    attempts = chunk.prior_attempts + answer.attempts
    problems = chunk.problems + parsed_problems
    cut_off = answer.finish_reason == "length"
    if cut_off:
        problems += ("answer cut off at the output token limit",)
    if chunk.reasks_left <= 0:
        reason = "; ".join(dict.fromkeys(problems)) or "page missing from every answer"
        return MissingRetry([], f"no usable answer: {reason}")
    plan = ChunkPlan(missing)
    # Nothing usable, or an answer cut off at its token limit: the pages left need a smaller
    # request, with more answer room each; a cut-off may be a loop that ran to the limit, so
    # those are asked with other sampling.
    parts = split_chunk(plan) if cut_off or nothing_usable else [plan]
    resample, notes = (1, (cut_off_note(),)) if cut_off else (chunk.resample, chunk.notes)
    left = chunk.reasks_left - 1
    return MissingRetry(
        [PageChunk(part, left, attempts, problems, resample, notes=notes) for part in parts]
    )


def refused_retry(
    chunk: PageChunk,
    asked: Asked,
    attempts: int,
    page_sizes: tuple[tuple[int, int], ...],
    profile: TokenProfile,
    image_budget: int,
) -> list[PageChunk]:
    """Smaller requests for a refused one; [] when none is left.

    A request that no longer fits what the endpoint revealed is re-planned (the unit's
    `_refit`); several pages are split; a single page refused for its context is shrunk to half
    its tokens (at most `max_reasks` times).
    """
    if asked.refusal is None:
        return []
    problems = (*chunk.problems, str(asked.failure))
    sent = asked.request.chunk
    if asked.replan:
        return [PageChunk(sent, chunk.reasks_left, attempts, problems)]
    if len(sent.pages) > 1:
        return [
            PageChunk(part, chunk.reasks_left, attempts, problems) for part in split_chunk(sent)
        ]
    if asked.refusal.kind != "context_length" or chunk.reasks_left <= 0:
        return []
    page = sent.pages[0]
    room = min(page.image_tokens // 2, image_budget)
    width, height = page_sizes[page.page - 1]
    try:
        shrunk = size_page(page.page, width, height, profile, room)
    except PageDoesNotFitError:
        return []
    return [PageChunk(ChunkPlan((shrunk,)), chunk.reasks_left - 1, attempts, problems)]


def answer_room(budget: BudgetOptions, pages: int) -> int:
    """The answer room of a request of `pages` pages, in the budget as the endpoint has taught
    it (a learned context refits the room)."""
    return min(budget.max_output_tokens, budget.output_tokens_per_image * pages)
