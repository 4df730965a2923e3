"""Packing sized pages, in order, into requests within the image count and the context."""

from collections.abc import Sequence

from extractors.options import BudgetOptions
from extractors.records import IMAGE_LABEL_TOKENS, ChunkPlan, PlannedPage


def plan_chunks(pages: Sequence[PlannedPage], options: BudgetOptions) -> list[ChunkPlan]:
    """Pack pages, in order, into requests within the image count and the context."""
    chunks: list[ChunkPlan] = []
    while pages:
        chunk = cut_chunk(pages, options)
        chunks.append(chunk)
        pages = pages[len(chunk.pages) :]
    return chunks


def cut_chunk(
    pages: Sequence[PlannedPage], options: BudgetOptions, most: int | None = None
) -> ChunkPlan:
    """The first request of `pages`: as many as fit the image count, the context, and `most`
    (the pages a request should carry now); at least one page."""
    limit = options.images_per_request if most is None else min(most, options.images_per_request)
    taken: list[PlannedPage] = []
    used = 0
    for page in pages:
        cost = page.image_tokens + IMAGE_LABEL_TOKENS
        if taken and (len(taken) >= limit or used + cost > options.image_budget):
            break
        taken.append(page)
        used += cost
    return ChunkPlan(tuple(taken))


def split_chunk(chunk: ChunkPlan) -> list[ChunkPlan]:
    """Halve a chunk (for a re-ask or a rejected request); a single page stays as it is."""
    if len(chunk.pages) <= 1:
        return [chunk]
    middle = len(chunk.pages) // 2
    return [ChunkPlan(chunk.pages[:middle]), ChunkPlan(chunk.pages[middle:])]
