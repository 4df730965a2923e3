"""`--packing adaptive`: the first requests leave with one page each, as soon as it is drawn;
once answers say how long a request takes, requests carry as many pages as drawing can keep
up with. `--packing full` packs every request as full as it fits from the start."""

from pathlib import Path

from chat_server import ChatServer
from harness import run
from markers import make_marked_pdf
from page_checks import assert_every_page_once_ok


def test_adaptive_requests_start_with_one_page_and_grow_once_answers_are_timed(
    tmp_path: Path,
) -> None:
    make_marked_pdf(tmp_path / "doc_1.pdf", 1, 24)
    with ChatServer(latency=0.5) as server:
        run(
            [tmp_path],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            concurrency=1,
            packing="adaptive",
        )
        sizes = [r.n_images for r in server.requests]
    # Nothing has been answered when the first ones are cut: one page each, payload slots full.
    assert sizes[:3] == [1, 1, 1]
    # 0.5 s an answer, one slot: drawing keeps up with far more than a page per request.
    assert max(sizes[3:]) > 1 and len(sizes) < 24
    assert sum(sizes) == 24
    assert_every_page_once_ok(tmp_path / "out", 24)


def test_full_packing_fills_the_first_request(tmp_path: Path) -> None:
    make_marked_pdf(tmp_path / "doc_1.pdf", 1, 24)
    with ChatServer(latency=0.1) as server:
        run(
            [tmp_path],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            concurrency=1,
            packing="full",
        )
        sizes = [r.n_images for r in server.requests]
    assert sizes == [12, 12]
    assert_every_page_once_ok(tmp_path / "out", 24)


def test_a_rows_latency_is_its_requests_time_on_the_wire_not_its_wait_for_a_slot(
    tmp_path: Path,
) -> None:
    # Six one-page documents through one request slot: the last waits five answers for it.
    for doc in range(1, 7):
        make_marked_pdf(tmp_path / f"doc_{doc}.pdf", doc, 1)
    with ChatServer(latency=0.3) as server:
        run(
            [tmp_path],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            concurrency=1,
        )
        assert len(server.requests) == 6
    latencies = assert_every_page_once_ok(tmp_path / "out", 6)["latency_ms"].to_list()
    # Counted from before the wait, the last would be six times the first.
    assert min(latencies) >= 300
    assert max(latencies) < 2 * min(latencies)
