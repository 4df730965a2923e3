"""Pages per request from the measured drawing rate and answer latency (`--packing adaptive`)."""

from extractors.load.draw_rate import DrawRate
from extractors.plan.pacing import RequestPacing


def test_one_page_until_an_answer_says_how_long_requests_take() -> None:
    pacing = RequestPacing(workers=2)
    assert pacing.pages_per_request(16, 12, None) == 1
    pacing.drawn(0.01)
    assert pacing.pages_per_request(16, 12, None) == 1  # drawn, but nothing answered yet
    pacing.answered(0.5)
    assert pacing.pages_per_request(16, 12, None) > 1


def test_a_slow_endpoint_gets_full_requests_and_a_fast_one_small_ones() -> None:
    pacing = RequestPacing(workers=2)
    pacing.drawn(0.02)
    pacing.answered(8.0)  # a real model reading pages: seconds per answer
    assert pacing.pages_per_request(16, 12, 100.0) == 12
    fast = RequestPacing(workers=2)
    fast.drawn(0.02)
    fast.answered(0.5)
    # 100 pages a second for 16 slots of 0.5 s, kept twice as fast as they are taken: 1 page.
    assert fast.pages_per_request(16, 12, 100.0) == 1
    # Fewer slots to feed: more pages each. 100 x 0.5 / (2 x 2) = 12.5.
    assert fast.pages_per_request(2, 12, 100.0) == 12
    assert fast.pages_per_request(4, 12, 100.0) == 6


def test_the_measured_rate_wins_over_the_workers_own_times() -> None:
    pacing = RequestPacing(workers=2)
    pacing.drawn(0.005)  # a worker's own time: 400 pages a second for two of them
    pacing.answered(1.0)
    assert pacing.pages_per_request(4, 12, None) == 12
    assert pacing.pages_per_request(4, 12, 40.0) == 5  # what they deliver when busy


def test_the_draw_rate_counts_only_pages_that_came_back_while_work_was_waiting() -> None:
    rate = DrawRate()
    rate.page_drawn(10.0, backlog=False)
    rate.page_drawn(11.0, backlog=False)  # idle workers: a second between pages says nothing
    rate.page_drawn(11.5, backlog=True)  # the first page after a lull: its wait neither
    assert rate.pages_per_second is None
    rate.page_drawn(11.6, backlog=True)
    assert rate.pages_per_second is not None and round(rate.pages_per_second) == 10
    for step in range(1, 40):
        rate.page_drawn(11.6 + step * 0.02, backlog=True)
    assert rate.pages_per_second is not None and round(rate.pages_per_second) == 50


def test_one_slow_page_in_a_busy_stretch_does_not_set_the_draw_rate() -> None:
    rate = DrawRate()
    now = 0.0
    for step in range(30):
        now += 0.35 if step == 20 else 0.003  # one page waited on a busy machine
        rate.page_drawn(now, backlog=True)
    assert rate.pages_per_second is not None and round(rate.pages_per_second) == 333
