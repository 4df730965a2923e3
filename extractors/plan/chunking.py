"""Packing sized pages, in order, into requests within the image count and the context."""

from collections.abc import Sequence

from extractors.options import BudgetOptions
from extractors.records import IMAGE_LABEL_TOKENS, ChunkPlan, PlannedPage


def plan_chunks(pages: Sequence[PlannedPage], options: BudgetOptions) -> list[ChunkPlan]:
    """Pack pages, in order, into requests within the image count and the context."""
    chunks: list[ChunkPlan] = []
    current: list[PlannedPage] = []
    used = 0
    for page in pages:
        cost = page.image_tokens + IMAGE_LABEL_TOKENS
        if current and (
            len(current) >= options.images_per_request or used + cost > options.image_budget
        ):
            chunks.append(ChunkPlan(tuple(current)))
            current, used = [], 0
        current.append(page)
        used += cost
    if current:
        chunks.append(ChunkPlan(tuple(current)))
    return chunks


def split_chunk(chunk: ChunkPlan) -> list[ChunkPlan]:
    """Halve a chunk (for a re-ask or a rejected request); a single page stays as it is."""
    if len(chunk.pages) <= 1:
        return [chunk]
    middle = len(chunk.pages) // 2
    return [ChunkPlan(chunk.pages[:middle]), ChunkPlan(chunk.pages[middle:])]
