"""Sending one chunk: its pages drawn under a payload slot, asked, and refusals learned."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from extractors.document.set_aside import Duplicate, SetAside
from extractors.endpoint.learned_limits import LearnedLimits, Refusal
from extractors.endpoint.pool import PayloadSlot, RequestPool
from extractors.endpoint.prompt import layer_text_tokens
from extractors.errors import (
    EndpointFailedError,
    OutgrownRequestError,
    RequestRejectedError,
    SourceError,
)
from extractors.load.rasteriser import Rasteriser
from extractors.options import BudgetOptions, PackingMode
from extractors.plan.pacing import RequestPacing
from extractors.plan.profiles.base import TokenProfile
from extractors.records import (
    ChunkPlan,
    EndpointAnswer,
    PlannedPage,
    PreparedRequest,
    RenderedImage,
    SourceFile,
)
from schemas import ErrorCategory, PageRow


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


@dataclass(frozen=True)
class RenderedChunk:
    """A chunk's pages as drawn: the request of those that rendered, and those that did not."""

    request: PreparedRequest | None
    failed: tuple[tuple[PlannedPage, SourceError], ...]
    # Drawn and not sent (`extractors/document/set_aside.py`): blank, or copies of pages
    # answered already.
    blank: tuple[RenderedImage, ...] = ()
    copies: tuple[Duplicate, ...] = ()


@dataclass(frozen=True)
class Asked:
    """What came of sending a request: its answer, or why there is none."""

    request: PreparedRequest
    answer: EndpointAnswer | None = None
    failure: EndpointFailedError | None = None
    refusal: Refusal | None = None
    # The endpoint is now known to take less than this request carries: plan it again.
    replan: bool = False

    @property
    def attempts(self) -> int:
        if self.answer is not None:
            return self.answer.attempts
        return self.failure.attempts if self.failure is not None else 0

    @property
    def error_category(self) -> ErrorCategory:
        """What the pages of a request without an answer are errors of (`endpoint` mostly)."""
        failure = self.failure
        return ErrorCategory(failure.category) if failure is not None else ErrorCategory.ENDPOINT


@dataclass(frozen=True)
class ChunkSender:
    """Draws a chunk's pages and sends them; the one place where refusals teach limits."""

    pool: RequestPool
    rasteriser: Rasteriser
    learned: LearnedLimits
    profile: TokenProfile
    # Keeps the key out of error texts (the client's redactor).
    redact: Callable[[str], str]
    # How many pages a request should carry now, from the drawing and answering measured.
    pacing: RequestPacing
    # Drawn pages not sent (blank, copies); None: every page is sent (document schemas).
    set_aside: SetAside | None = None

    def set_aside_finished(self, rows: list[PageRow]) -> None:
        """Rows written: ok ones of pages sent are what later identical pages copy."""
        if self.set_aside is not None:
            self.set_aside.finished(rows)

    def pages_per_request(self) -> int:
        """What the next `page_text` request should carry (`--packing`)."""
        budget = self.budget
        if budget.packing is PackingMode.FULL:
            return budget.images_per_request
        limit = self.pool.gate.limit
        draw_rate = self.rasteriser.draw_rate.pages_per_second
        return self.pacing.pages_per_request(limit, budget.images_per_request, draw_rate)

    @property
    def budget(self) -> BudgetOptions:
        """The configured budget narrowed by the limits the endpoint has revealed so far."""
        return self.learned.budget

    @asynccontextmanager
    async def rendered(
        self,
        source: SourceFile,
        plan: ChunkPlan,
        answer_room: int,
        document_pages: int = 0,
        layer_texts: Mapping[int, str] | None = None,
        held: PayloadSlot | None = None,
        resample: int = 0,
    ) -> AsyncIterator[RenderedChunk]:
        """The chunk drawn, while it holds a payload slot (`held`, or one taken here: so
        rendering stays bounded); `layer_texts` (by page) go beside their pages' images;
        `resample` > 0 asks again with other sampling (`PreparedRequest.resample`)."""
        layer_texts = layer_texts or {}
        to_draw = tuple(p for p in plan.pages if not p.as_text)
        as_text = tuple(p for p in plan.pages if p.as_text)
        async with self.pool.payload_slot(held):
            drawn = await self.rasteriser.render(source, to_draw, self.profile.pad_to_square)
            images: list[tuple[PlannedPage, RenderedImage]] = []
            failed: list[tuple[PlannedPage, SourceError]] = []
            for planned, result in zip(to_draw, drawn, strict=True):
                if isinstance(result, SourceError):
                    failed.append((planned, result))
                else:
                    images.append((planned, result))
                    self.pacing.drawn(result.drawn_seconds)
            blank: tuple[RenderedImage, ...] = ()
            copies: tuple[Duplicate, ...] = ()
            if self.set_aside is not None:
                images, blank, copies = self.set_aside.sort(source, images)
            request = None
            if images or as_text:
                drawn_pages = [planned for planned, _ in images]
                sent = ChunkPlan(tuple(sorted([*drawn_pages, *as_text], key=lambda p: p.page)))
                texts = tuple(layer_texts.get(p.page, "") for p in drawn_pages)
                request = PreparedRequest(
                    new_request_id(),
                    source,
                    sent,
                    tuple(image for _, image in images),
                    self._estimated_tokens(sent, answer_room) + layer_text_tokens(texts),
                    document_pages=document_pages,
                    layer_texts=texts if any(texts) else (),
                    text_pages=tuple((p.page, layer_texts[p.page]) for p in as_text),
                    resample=resample,
                )
            yield RenderedChunk(request, tuple(failed), blank, copies)

    async def ask(self, request: PreparedRequest) -> Asked:
        """Send the request through the pool; a refusal's lesson is learned here."""
        try:
            answer = await self.pool.send(request)
        except OutgrownRequestError:
            return Asked(request, replan=True)
        except RequestRejectedError as exc:
            lessons = len(self.learned.lessons)
            refusal = self.learned.learn_from(request.chunk, exc.status_code, str(exc))
            # A refusal that taught a limit re-plans the request within it (whole again when it
            # now fits); one that taught nothing is split. Lessons only narrow: no loop.
            learned = len(self.learned.lessons) > lessons
            replan = learned or not self.learned.admits(request.chunk)
            return Asked(request, failure=exc, refusal=refusal, replan=replan)
        except EndpointFailedError as exc:
            return Asked(request, failure=exc)
        self.pacing.answered(answer.latency_ms / 1000)
        # The request slot this answer freed wakes the next request: it goes on the wire
        # before this answer is parsed and written, not after every answer of the round.
        await asyncio.sleep(0)
        return Asked(request, answer=answer)

    def _estimated_tokens(self, plan: ChunkPlan, answer_room: int) -> int:
        """Prompt tokens plus answer room: what `--tpm` charges before the answer says."""
        return self.learned.configured.prompt_tokens + plan.image_tokens + answer_room
