"""Batch backfills of 1,000 pages: JSONL bytes, plan, upload and ingest time, peak memory, and
the estimated cost online against batch; each figure against a baseline of the same run.

Baselines: the same 1,000 pages asked online from the test chat server answering at once
(its wall time is what planning and ingesting are set against), the JPEG bytes the pages are
sent as (what the JSONL carries, base64'd), and the online price of the same tokens. The
re-ask choice: 5% of the batch's lines fail, and the online pass asks their pages again.

    .venv/bin/python benchmarks/batch.py
"""

import asyncio
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import Measurement, print_measurements, text_pdf

# isort: split

from batch_runs import KEY
from batch_server import BatchServer
from chat_server import ChatServer
from harness import run_direct

from extractors.batch.api import BatchApi
from extractors.batch.state import BatchPlan, BatchStore
from extractors.batch.submit import submit, wait_for_batches
from extractors.discover.files import discover
from extractors.document.batch_session import ingest_batch, plan_batch_files
from extractors.document.dry_run import plan_dry_run
from extractors.document.session import ExtractionSession, open_session
from extractors.options import TextLayerMode
from extractors.report.pricing import DEFAULT_PRICES
from flows.options.config import RunRequest, Secrets, resolve_run
from flows.orchestration.batch_phase import batch_options

DOCUMENTS, PAGES_EACH = 50, 20
Result = TypeVar("Result")


async def _measured(step: Callable[[], Awaitable[Result]]) -> tuple[Result, float, float]:
    """(result, seconds, peak MB of Python allocations) of one step."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = await step()
        return result, time.monotonic() - started, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# The pages are born-digital: as images, so that what is measured is the batch path, not the
# text layer that would answer them with no request.
OFF = TextLayerMode.OFF


async def batch_figures(folder: Path, work: Path) -> list[Measurement]:
    out = work / "batch-out"
    with BatchServer(api_key=KEY) as server:
        request = RunRequest(
            inputs=[str(folder)],
            out=str(out),
            base_url=server.base_url,
            model="pixtral-12b-2409",
            batch=True,
            text_layer=OFF,
        )
        resolved = resolve_run(request, Secrets(api_key=KEY))
        options, store = batch_options(request, resolved), BatchStore(out)
        session = open_session(str(out), resolved.session)
        async with session:
            planned, plan_s, plan_mb = await _measured(
                lambda: plan_batch_files(session, discover([str(folder)]), store, options, 64)
            )
        plan = store.new_plan(session.run_id, "openai", planned.inputs, True, {})
        jsonl = sum(i.bytes for i in planned.inputs)
        api = BatchApi(server.base_url, KEY, "openai", str)
        _, upload_s, _ = await _measured(lambda: submit(plan, store, api))
        await wait_for_batches(plan, store, api, 0.01, lambda plan: None)
        session = open_session(str(out), resolved.session)
        async with session:
            pages, ingest_s, ingest_mb = await _measured(
                lambda: _ingest_all(session, store, plan, api)
            )
        await api.close()
        output = sum(len(server.file_content(str(r.output_file_id)) or b"") for r in plan.batches)
        image_bytes = sum(
            len(part["image_url"]["url"]) * 3 // 4
            for job in server.jobs.values()
            for line in job.lines
            for part in line.body["messages"][0]["content"]
            if part["type"] == "image_url"
        )
    online_s = await _online_wall(folder, work / "online-out")
    assert pages == DOCUMENTS * PAGES_EACH, pages
    files = len(plan.batches)
    return [
        Measurement(
            "batch",
            "JSONL bytes / JPEG bytes sent",
            jsonl,
            image_bytes,
            note=f"{jsonl / 2**20:.1f} MB for {pages} pages in {files} file(s) of at most "
            f"200 MB, {jsonl / pages / 1024:.0f} kB a page",
        ),
        Measurement(
            "batch",
            "plan (render + write JSONL) s / online run s",
            plan_s,
            online_s,
            note=f"{plan_s:.1f} s against {online_s:.1f} s online (0 ms answers)",
        ),
        Measurement(
            "batch",
            "upload s / plan s",
            upload_s,
            plan_s,
            note=f"{upload_s:.2f} s to upload {jsonl / 2**20:.1f} MB to 127.0.0.1",
        ),
        Measurement(
            "batch",
            "ingest s / online run s",
            ingest_s,
            online_s,
            note=f"{ingest_s:.2f} s for {pages} pages ({ingest_s / pages * 1000:.2f} ms a page)",
        ),
        Measurement(
            "batch",
            "peak MB planning / JSONL MB",
            plan_mb,
            jsonl / 2**20,
            note=f"{plan_mb:.1f} MB of Python allocations writing {jsonl / 2**20:.1f} MB",
        ),
        Measurement(
            "batch",
            "peak MB ingesting / JSONL MB",
            ingest_mb,
            jsonl / 2**20,
            note=f"{ingest_mb:.2f} MB ingesting {output / 2**20:.2f} MB of output for "
            f"{jsonl / 2**20:.1f} MB of requests",
        ),
    ]


async def _ingest_all(
    session: ExtractionSession, store: BatchStore, plan: BatchPlan, api: BatchApi
) -> int:
    """Every batch's output and error files into rows; the pages ok."""
    pages = 0
    for record in plan.batches:
        files = api.results(record.name, [record.output_file_id, record.error_file_id])
        pages += (await ingest_batch(session, store, record, files)).pages_ok
    return pages


async def _online_wall(folder: Path, out: Path) -> float:
    with ChatServer(read_markers=False) as server:
        started = time.monotonic()
        summary, _ = await run_direct(
            [folder], out, model="pixtral-12b-2409", base_url=server.base_url, text_layer=OFF
        )
        assert summary.pages_ok == DOCUMENTS * PAGES_EACH
        return time.monotonic() - started


async def cost_figures(folder: Path, work: Path) -> list[Measurement]:
    request = RunRequest(
        inputs=[str(folder)], out=str(work / "dry"), provider="openai", text_layer=OFF
    )
    resolved = resolve_run(request, Secrets(api_key="k"))
    session = open_session(str(work / "dry"), resolved.session)
    async with session:
        planned = await plan_dry_run(session, discover([str(folder)]))
    price = DEFAULT_PRICES.price_of("openai", resolved.rows.model)
    batch = DEFAULT_PRICES.batch_price_of("openai", resolved.rows.model)
    assert price is not None and batch is not None
    online = price.cost(planned.prompt_tokens, planned.answer_room)
    in_batch = batch.cost(planned.prompt_tokens, planned.answer_room)
    return [
        Measurement(
            "batch",
            "estimated cost batch / online (openai gpt-4.1-mini)",
            in_batch,
            online,
            note=f"{in_batch:.2f} against {online:.2f} USD for "
            f"{planned.requests} requests, {planned.prompt_tokens:,} prompt tokens",
        )
    ]


async def reask_figures(folder: Path, work: Path) -> list[Measurement]:
    from batch_runs import run_batch

    out = work / "reask-out"
    with BatchServer(api_key=KEY) as server:
        server.line_faults = {index: "status:500" for index in range(0, 100, 20)}  # 5%
        started = time.monotonic()
        outcome = await run_batch([folder], out, base_url=server.base_url)
        total = time.monotonic() - started
        online_requests = server.request_count
    assert outcome.online is not None
    again = outcome.online.pages_ok
    share = again / (DOCUMENTS * PAGES_EACH)
    return [
        Measurement(
            "batch",
            "re-asked pages / all pages (5% of lines failed)",
            again,
            DOCUMENTS * PAGES_EACH,
            note=f"{online_requests} online requests; cost +{share:.1%} of the online "
            f"price over an all-batch run, against up to 24 h more for a follow-up "
            f"batch; whole run {total:.1f} s",
        )
    ]


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="visionbatch-batch-bench-"))
    try:
        folder = work / "in"
        folder.mkdir()
        for index in range(DOCUMENTS):
            text_pdf(folder / f"doc_{index:02d}.pdf", PAGES_EACH, seed=index)
        lines = await batch_figures(folder, work)
        lines += await cost_figures(folder, work)
        lines += await reask_figures(folder, work)
        print_measurements(lines)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
