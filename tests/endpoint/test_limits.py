"""The endpoint's limits: refusal wordings, the per-minute window, the adaptive in-flight count."""

import asyncio
import time
from pathlib import Path

import pytest
from chat_server import ChatServer
from harness import run
from markers import make_marked_pdf
from page_checks import assert_every_page_once_ok

from extractors.endpoint.concurrency import AdaptiveConcurrency
from extractors.endpoint.learned_limits import LearnedLimits, classify_refusal
from extractors.endpoint.rate_window import RateWindow
from extractors.options import BudgetOptions


@pytest.mark.parametrize(
    ("status", "message", "kind", "limit"),
    [
        # vLLM --limit-mm-per-prompt
        (400, "At most 4 image(s) may be provided in one prompt.", "too_many_images", 4),
        (400, "Too many images in the request", "too_many_images", None),
        (400, "The maximum number of images per request is 12 images", "too_many_images", 12),
        # Wordings that state the limit: each read as it is, never halved.
        (400, "too many images in one request: 5 > 4", "too_many_images", 4),
        (400, "Too many images: 12 > 3", "too_many_images", 3),
        (400, "You can send at most 4 images per request", "too_many_images", 4),
        (400, "This model accepts a maximum of 4 images", "too_many_images", 4),
        (400, "Number of images exceeds the limit of 4", "too_many_images", 4),
        (400, "Image limit of 2 exceeded for this model", "too_many_images", 2),
        (400, "Too many images in request. Max is 10.", "too_many_images", 10),
        # A figure about pixels, not images, is no image limit.
        (400, "image too large: 5000 > 4096", "other", None),
        # Scaleway Managed Inference: a bare 413 for the 13th image
        (413, "Request Entity Too Large", "too_many_images", None),
        # vLLM / OpenAI context overflow wordings (endpoints.md)
        (
            400,
            "This model's maximum context length is 32768 tokens. However, you requested 40000",
            "context_length",
            32768,
        ),
        (400, "Input too long: prompt exceeds max_model_len 8192", "context_length", 8192),
        (400, "prompt is too long for the context window", "context_length", None),
        (400, "response_format is not supported", "other", None),
        (422, "Unprocessable entity", "other", None),
    ],
)
def test_refusals_are_classified(status: int, message: str, kind: str, limit: int | None) -> None:
    refusal = classify_refusal(status, message)
    assert (refusal.kind, refusal.limit) == (kind, limit)


def test_learned_limits_only_narrow_the_budget() -> None:
    configured = BudgetOptions(max_images=12, context_tokens=128_000, max_output_tokens=4_096)
    learned = LearnedLimits(configured)
    assert learned.budget == configured
    assert learned.learn_images(12, 4) == 4
    assert learned.learn_images(8, None) == 4  # a looser lesson never widens the limit
    learned.learn_context(32_768)
    learned.learn_context(64_000)
    budget = learned.budget
    assert (budget.max_images, budget.context_tokens) == (4, 32_768)
    assert learned.lessons == [
        "images per request lowered to 4",
        "context length learned: 32768 tokens",
    ]
    assert LearnedLimits(configured).learn_images(12, None) == 6  # no number stated: halve


def test_a_stated_image_limit_replaces_a_halved_guess() -> None:
    learned = LearnedLimits(BudgetOptions(max_images=12))
    assert learned.learn_images(12, None) == 6  # guessed
    assert learned.learn_images(12, 8) == 8  # stated: exactly, even above the guess
    # 12 images refused without a figure, sent before the limit was stated: nothing new.
    assert learned.learn_images(12, None) == 8
    assert learned.learn_images(8, 5) == 5  # a tighter stated limit still narrows
    assert learned.learn_images(5, None) == 2  # the stated limit itself refused: halved
    assert learned.lessons == [
        "images per request lowered to 6",
        "images per request set to 8, as the endpoint states",
        "images per request lowered to 5",
        "images per request lowered to 2",
    ]


@pytest.mark.parametrize(
    ("context", "room", "images_per_request"),
    [
        (8_000, 3_700, 3),  # (8,000 - 600) // 2: as --context-tokens 8000 would give
        (40_000, 16_384, 12),  # the room configured fits: kept
    ],
)
def test_a_learned_context_refits_the_answer_room(
    context: int, room: int, images_per_request: int
) -> None:
    configured = BudgetOptions(context_tokens=128_000, max_output_tokens=16_384, prompt_tokens=600)
    learned = LearnedLimits(configured)
    assert learned.answer_room is None  # nothing learned: the configured room is sent
    learned.learn_context(context)
    budget = learned.budget
    assert (budget.context_tokens, budget.max_output_tokens) == (context, room)
    assert learned.answer_room == room
    assert budget.images_per_request == images_per_request
    assert budget.image_budget == context - 600 - room


def test_rate_window_never_exceeds_its_limit_in_any_window() -> None:
    async def scenario() -> list[tuple[float, int]]:
        window = RateWindow(limit=10, window_seconds=0.5)
        taken: list[tuple[float, int]] = []

        async def take(units: int) -> None:
            (await window.take(units)).stamp()  # written at once
            taken.append((time.monotonic(), units))

        await asyncio.gather(*(take(units) for units in [3, 4, 2, 5, 1, 6, 3, 2, 4]))
        assert window.waited_seconds > 0
        return taken

    taken = asyncio.run(scenario())
    assert sum(units for _, units in taken) == 30
    for start, _ in taken:  # every half-second window starting at a take holds at most 10
        assert sum(u for t, u in taken if start <= t < start + 0.5) <= 10
    assert taken[-1][0] - taken[0][0] >= 1.0  # 30 units at 10 per 0.5 s need two refills


def test_rate_window_settles_estimates_to_real_costs() -> None:
    async def scenario() -> RateWindow:
        window = RateWindow(limit=100, window_seconds=60)
        entry = await window.take(90)  # estimated
        RateWindow.settle(entry, 20)  # the answer said it cost 20
        await window.take(70)  # fits at once beside the settled 20
        return window

    assert asyncio.run(scenario()).waits == 0


def test_a_request_larger_than_the_limit_still_goes_alone() -> None:
    async def scenario() -> None:
        window = RateWindow(limit=10, window_seconds=0.2)
        (await window.take(50)).stamp()
        await window.take(50)  # waits for the first to leave the window, then goes
        assert window.waits == 1

    asyncio.run(scenario())


def test_adaptive_concurrency_halves_on_sustained_429s_and_recovers_slowly() -> None:
    async def scenario() -> AdaptiveConcurrency:
        limit = AdaptiveConcurrency(16)
        # One 429 among many answers changes nothing.
        await limit.record(0, throttled=True)
        for _ in range(10):
            await limit.record(0, throttled=False)
        assert limit.limit == 16
        # Sustained 429s: halved once per generation, not once per 429.
        for _ in range(3):
            await limit.record(0, throttled=True)
        assert limit.limit == 8
        await limit.record(0, throttled=True)  # started under 16: says nothing about 8
        assert limit.limit == 8
        for _ in range(3):  # 3 of 3 throttled, but too few outcomes yet to judge
            await limit.record(1, throttled=True)
        assert limit.limit == 8
        for _ in range(5):
            await limit.record(1, throttled=True)
        assert limit.limit == 4
        # Calm again: +1 per 2 x limit answers with under 12.5% throttled.
        await limit.record(2, throttled=True)
        for _ in range(8):
            await limit.record(2, throttled=False)
        assert limit.limit == 5
        return limit

    limit = asyncio.run(scenario())
    report = limit.report
    assert (report.start, report.lowest, report.end, report.lowered, report.raised) == (
        16,
        4,
        5,
        2,
        1,
    )


def test_a_steady_tenth_of_429s_does_not_ratchet_concurrency_down() -> None:
    async def scenario() -> AdaptiveConcurrency:
        limit = AdaptiveConcurrency(16)
        for index in range(2_000):  # every tenth answer throttled, whatever the load
            await limit.record(limit.generation, throttled=index % 10 == 9)
        return limit

    limit = asyncio.run(scenario())
    assert limit.report.lowered == 0 and limit.limit == 16


def test_adaptive_concurrency_holds_at_most_limit_slots() -> None:
    async def scenario() -> int:
        limit = AdaptiveConcurrency(3)
        active = peak = 0

        async def work() -> None:
            nonlocal active, peak
            async with limit.slot():
                active += 1
                peak = max(peak, active)
                await asyncio.sleep(0.01)
                active -= 1

        await asyncio.gather(*(work() for _ in range(20)))
        return peak

    assert asyncio.run(scenario()) == 3


def test_a_rate_window_counts_a_request_from_when_it_is_written() -> None:
    """An admitted request holds its place until it is written, and its window starts then:
    however long building it took, the server never sees more than the limit in a window."""

    async def scenario() -> tuple[bool, float, float]:
        window = RateWindow(2, window_seconds=0.2)
        first = await window.take(1)
        await window.take(1)
        third = asyncio.ensure_future(window.take(1))
        await asyncio.sleep(0.4)  # two windows' time, but neither request is written yet
        blocked = not third.done()
        first.stamp()
        written = time.monotonic()
        await third
        return blocked, written, time.monotonic()

    blocked, written, admitted = asyncio.run(scenario())
    assert blocked
    assert admitted - written >= 0.2


def test_a_learned_8000_token_context_leaves_every_page_ok(tmp_path: Path) -> None:
    """No --context-tokens: the 8,000 tokens are learned from the first refusal, the answer
    room is refitted to them, and every page is asked again within them."""
    make_marked_pdf(tmp_path / "doc_4.pdf", 4, 6)
    with ChatServer(context_tokens=8_000) as server:
        _, session = run(
            [tmp_path], tmp_path / "out", base_url=server.base_url, model="pixtral-12b-2409"
        )
        sent = [(r.status, r.n_images, r.max_tokens) for r in server.requests]
    room = (8_000 - session.learned.configured.prompt_tokens) // 2
    assert sent[0][:2] == (400, 6)
    assert sent[1:] == [(200, 1, room)] * 6  # one 3,264-token page fits beside the answer room
    assert session.learned.lessons == [
        "context length learned: 8000 tokens",
        f"answer room refitted to {room}",
    ]
    assert_every_page_once_ok(tmp_path / "out", 6)


def test_a_small_learned_context_with_4_images_per_request(tmp_path: Path) -> None:
    """Both limits learned: 4 images (stated), then a 12,000-token context whose refitted
    answer room still leaves 4 small pages a request."""
    make_marked_pdf(tmp_path / "doc_7.pdf", 7, 12)
    with ChatServer(max_images=4, context_tokens=12_000) as server:
        _, session = run(
            [tmp_path],
            tmp_path / "out",
            base_url=server.base_url,
            model="pixtral-12b-2409",
            concurrency=1,
            max_dpi=50,  # ~1,000 tokens a page
        )
        sent = [(r.status, r.n_images) for r in server.requests]
    assert sent[:2] == [(400, 12), (400, 4)]  # too many images, then too long a context
    # Every chunk of 4 goes whole, the refused one too: what it taught makes it fit.
    assert sorted(size for status, size in sent[2:] if status == 200) == [4, 4, 4]
    assert all(status == 200 for status, _ in sent[2:])
    budget = session.learned.budget
    assert (budget.max_images, budget.context_tokens, budget.images_per_request) == (4, 12_000, 4)
    assert_every_page_once_ok(tmp_path / "out", 12)
