"""Images per request and context length, learned from the endpoint's refusals, so that the
rest of the run stops asking for what it cannot have."""

import re
from dataclasses import dataclass, replace
from typing import Literal

from extractors.endpoint.answer_room import fitted_answer_room
from extractors.options import BudgetOptions
from extractors.records import ChunkPlan

RefusalKind = Literal["too_many_images", "context_length", "other"]


# A message that speaks of how many images a request carries; only then is a figure in it
# read as the image limit ("image too large: 5000 > 4096" is about pixels, not images).
_IMAGE_COUNT = re.compile(
    r"too many images|images? per (?:request|prompt|message)|image\(s\)|number of images"
    r"|\d+ images|(?:maximum|max|limit|at most|up to)\D{0,30}images?"
    r"|images?\D{0,30}(?:limit|maximum|max\b|exceed)",
    re.IGNORECASE,
)


# Wordings that state the limit, tried in order.
_IMAGE_LIMIT_STATED = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\d+\s*>\s*(\d+)",  # "too many images in one request: 5 > 4"
        r"at most (\d+)",
        r"(?:maximum|max|limit|up to)\D{0,40}?(\d+) images?",
        r"images?\D{0,40}?(?:maximum|max|limit)\D{0,10}?(?:is|of|:) ?(\d+)",
        r"(?:maximum|limit) of (\d+)",
        r"(\d+) images? (?:is|are) (?:allowed|the maximum)",
    )
]


_CONTEXT = re.compile(
    r"context length|context window|max_model_len|maximum context|prompt is too long"
    r"|too many (?:input )?tokens|exceeds? the model",
    re.IGNORECASE,
)


_CONTEXT_LIMIT = re.compile(
    r"(?:maximum context length|max_model_len|context (?:length|window))\D{0,20}(\d{3,})",
    re.IGNORECASE,
)


def _stated_image_limit(message: str) -> int | None:
    for pattern in _IMAGE_LIMIT_STATED:
        if stated := pattern.search(message):
            return int(stated.group(1))
    return None


@dataclass(frozen=True)
class Refusal:
    """What a 4xx refusal says about the endpoint's limits."""

    kind: RefusalKind
    limit: int | None = None


def classify_refusal(status: int, message: str) -> Refusal:
    """Too many images (400 wordings, or 413), context exceeded, or something else."""
    if _CONTEXT.search(message):
        found = _CONTEXT_LIMIT.search(message)
        return Refusal("context_length", int(found.group(1)) if found else None)
    if _IMAGE_COUNT.search(message):
        return Refusal("too_many_images", _stated_image_limit(message))
    if status == 413:  # Scaleway Managed Inference answers a 13th image with a bare 413
        return Refusal("too_many_images")
    return Refusal("other")


class LearnedLimits:
    """The configured budget, narrowed by limits the endpoint revealed by refusing requests.

    Lessons hold for the rest of the run, and only ever narrow: a looser one is ignored, but
    for an image limit the endpoint states, which replaces one guessed by halving. A learned
    context refits the answer room by the rule a context given up front gets
    (`fitted_answer_room`), so that the images keep their room in it.
    """

    def __init__(self, configured: BudgetOptions) -> None:
        self.configured = configured
        self.max_images: int | None = None
        self.context_tokens: int | None = None
        self.lessons: list[str] = []
        self._images_stated = False

    @property
    def answer_room(self) -> int | None:
        """The answer room refitted to a learned context; None while none is learned."""
        if self.context_tokens is None:
            return None
        configured = self.configured
        room = fitted_answer_room(
            configured.max_output_tokens, self.context_tokens, configured.prompt_tokens
        )
        return min(configured.max_output_tokens, room)

    @property
    def budget(self) -> BudgetOptions:
        configured = self.configured
        return replace(
            configured,
            max_images=min(configured.max_images, self.max_images or configured.max_images),
            context_tokens=min(
                configured.context_tokens, self.context_tokens or configured.context_tokens
            ),
            max_output_tokens=self.answer_room or configured.max_output_tokens,
        )

    def admits(self, plan: ChunkPlan) -> bool:
        """Whether a chunk planned earlier still fits what the endpoint is known to take."""
        budget = self.budget
        return (
            len(plan.pages) <= budget.images_per_request
            and plan.image_tokens <= budget.image_budget
        )

    def learn_images(self, refused: int, limit: int | None) -> int:
        """After `refused` images were too many: the most to send from now on (the limit the
        endpoint states, exactly; else half of what it refused)."""
        stated = limit is not None and limit < refused
        known = self.max_images if self._images_stated else None
        if not stated and known is not None and refused > known:
            return known  # sent before the stated limit was known: nothing new
        allowed = limit if stated and limit is not None else max(1, refused // 2)
        replaces_guess = stated and not self._images_stated and allowed != self.max_images
        if self.max_images is None or allowed < self.max_images:
            self.lessons.append(f"images per request lowered to {allowed}")
            self.max_images = allowed
        elif replaces_guess:
            self.lessons.append(f"images per request set to {allowed}, as the endpoint states")
            self.max_images = allowed
        self._images_stated = self._images_stated or stated
        return self.max_images

    def learn_context(self, limit: int) -> None:
        """A context length the endpoint stated; the answer room is refitted to it."""
        if self.context_tokens is None or limit < self.context_tokens:
            room_before = self.budget.max_output_tokens
            self.context_tokens = limit
            self.lessons.append(f"context length learned: {limit} tokens")
            if self.budget.max_output_tokens < room_before:
                self.lessons.append(f"answer room refitted to {self.budget.max_output_tokens}")

    def learn_from(self, refused: ChunkPlan, status_code: int, message: str) -> Refusal:
        """What a refusal of this chunk says, with any limit it reveals learned for the run.

        The one place refusals teach limits: every unit of output sends through it.
        """
        refusal = classify_refusal(status_code, message)
        if refusal.kind == "too_many_images" and len(refused.pages) > 1:
            self.learn_images(len(refused.pages), refusal.limit)
        elif refusal.kind == "context_length" and refusal.limit is not None:
            self.learn_context(refusal.limit)
        return refusal
