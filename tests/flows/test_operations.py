"""Operations: scheduled deployments, Dask shards on a LocalCluster, inputs and outputs at URLs."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import fsspec
import polars as pl
import pytest
from chat_server import ChatServer
from harness import run
from markers import encode_value, expected_text, make_marked_image, make_marked_pdf
from repo_paths import REPO
from typer.testing import CliRunner

from extractors.sink.store import read_rows
from flows.commands.cli import app
from flows.options.config import RunRequest

SECRET = "sk-visionbatch-OPS-SECRET-77a1"


def _endpoint(server: ChatServer) -> dict[str, str]:
    return {"base_url": server.base_url, "model": "pixtral-12b-2409"}


def _texts_are_their_pages(frame: pl.DataFrame) -> None:
    for source, page, text in frame.select("source", "page", "text").iter_rows():
        doc_id = int(Path(source).stem.split("_")[1])
        assert text == expected_text(encode_value(doc_id, page)), (source, page)


def test_the_deployment_carries_the_schedule_and_the_run_parameters(tmp_path: Path) -> None:
    from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule

    from flows.orchestration.schedule import build_deployment

    request = RunRequest(inputs=[str(tmp_path / "inbox")], out=str(tmp_path / "out"))
    deployment = build_deployment(request, "receipts", cron="*/15 * * * *")
    assert deployment.name == "receipts" and deployment.flow_name == "visionbatch-extract"
    assert deployment.entrypoint == "flows/orchestration/flow.py:extract"
    (schedule,) = deployment.schedules or []
    assert isinstance(schedule.schedule, CronSchedule)
    assert schedule.schedule.cron == "*/15 * * * *"
    assert deployment.concurrency_limit == 1  # a late run waits; it never meets the lock
    assert RunRequest.model_validate(deployment.parameters["request"]) == request
    assert "api_key" not in str(deployment.parameters)

    every = build_deployment(request, interval=timedelta(minutes=5))
    assert isinstance(every.schedules[0].schedule, IntervalSchedule)  # type: ignore[index]
    assert every.schedules[0].schedule.interval == timedelta(minutes=5)  # type: ignore[index]
    with pytest.raises(ValueError, match="exactly one of --cron and --interval"):
        build_deployment(request)


def test_prefect_yaml_deployments_load_the_flow_with_valid_parameters_and_schedules() -> None:
    """`prefect deploy --all` reads this file: its entrypoints, parameters and schedules."""
    import yaml
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.flows import load_flow_from_entrypoint

    config = yaml.safe_load((REPO / "prefect.yaml").read_text())
    deployments = {d["name"]: d for d in config["deployments"]}
    assert set(deployments) == {"receipts-inbox", "archive-backfill"}
    for deployment in deployments.values():
        flow = load_flow_from_entrypoint(str(REPO / deployment["entrypoint"]))
        assert flow.name == "visionbatch-extract"
        request = RunRequest.model_validate(deployment["parameters"]["request"])
        assert request.inputs and request.out
        assert deployment["concurrency_limit"] == 1
        assert deployment["work_pool"]["name"] == "visionbatch"
    (schedule,) = deployments["receipts-inbox"]["schedules"]
    assert CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"]).cron == "*/15 * * * *"
    inbox = RunRequest.model_validate(deployments["receipts-inbox"]["parameters"]["request"])
    assert inbox.schema_name == "receipt" and "*.jpg" in inbox.discovery.include
    backfill = RunRequest.model_validate(deployments["archive-backfill"]["parameters"]["request"])
    assert backfill.dask == "tcp://dask-scheduler:8786"
    assert "archive-backfill" not in str(deployments["receipts-inbox"])


@pytest.mark.slow
def test_two_scheduled_runs_the_second_takes_only_the_file_added_between(tmp_path: Path) -> None:
    """What each scheduled run does: the deployment's own parameters, through the real flow."""
    from flows.orchestration.flow import extract
    from flows.orchestration.hooks import RunHooks, run_hooks
    from flows.orchestration.schedule import build_deployment

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    make_marked_pdf(inbox / "doc_1.pdf", 1, 3)
    make_marked_image(inbox / "img_2.png", 2)
    with ChatServer() as server:
        request = RunRequest(inputs=[str(inbox)], out=str(tmp_path / "out"), **_endpoint(server))
        deployment = build_deployment(request, cron="*/15 * * * *")
        parameters = RunRequest.model_validate(deployment.parameters["request"])

        async def scheduled_run() -> object:
            async with run_hooks(RunHooks()):
                return await extract(parameters)

        first = asyncio.run(scheduled_run())
        sent_first = len(server.requests)
        make_marked_image(inbox / "img_3.png", 3)  # arrives between the two runs
        second = asyncio.run(scheduled_run())
        sent_second = len(server.requests) - sent_first
    assert (first.pages_ok, first.pages_skipped) == (4, 0)  # type: ignore[attr-defined]
    assert (second.pages_ok, second.pages_skipped) == (1, 4)  # type: ignore[attr-defined]
    assert sent_second == 1 and [r.n_images for r in server.requests[sent_first:]] == [1]
    rows = pl.DataFrame(read_rows(tmp_path / "out" / "pages"))
    assert rows.height == 5 and rows["status"].unique().to_list() == ["ok"]
    by_run = rows.group_by("run_id").agg(pl.col("source").unique())
    assert sorted(len(sources) for sources in by_run["source"]) == [1, 2]
    newest = by_run.filter(pl.col("source").list.len() == 1)["source"][0].to_list()
    assert newest == [str(inbox / "img_3.png")]
    _texts_are_their_pages(rows)


@pytest.mark.slow
def test_serve_runs_on_its_schedule_and_each_run_takes_only_new_files(tmp_path: Path) -> None:
    """`visionbatch serve --interval` end to end: a Prefect server with its scheduler, the
    deployment, and runs every few seconds that pick up a file dropped into the inbox."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    make_marked_image(inbox / "img_4.png", 4)
    out = tmp_path / "out"
    with ChatServer() as server:
        env = {
            **os.environ,
            "PREFECT_HOME": str(tmp_path / "prefect"),
            "VISIONBATCH_BASE_URL": server.base_url,
            "VISIONBATCH_MODEL": "pixtral-12b-2409",
            "VISIONBATCH_API_KEY": SECRET,
        }
        env.pop("PREFECT_API_URL", None)
        command = [sys.executable, "-m", "flows", "serve", str(inbox), "--out", str(out)]
        serving = subprocess.Popen(
            [*command, "--interval", "5", "--name", "test-inbox"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            first = _wait_for_rows(out, 1, serving, timeout=150)
            make_marked_image(inbox / "img_5.png", 5)
            both = _wait_for_rows(out, 2, serving, timeout=90)
        finally:
            os.killpg(serving.pid, signal.SIGINT)
            try:
                log, _ = serving.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(serving.pid, signal.SIGKILL)
                log, _ = serving.communicate()
    assert "visionbatch-extract/test-inbox" in log.decode(), log.decode()[-2000:]
    assert first["source"].to_list() == [str(inbox / "img_4.png")]
    # Later runs took the new file only: one request per file over every run so far.
    assert sorted(r.n_images for r in server.requests) == [1, 1]
    assert both.height == 2 and both["run_id"].n_unique() == 2
    _texts_are_their_pages(both)
    assert SECRET not in log.decode()


def _wait_for_rows(
    out: Path, rows: int, serving: subprocess.Popen[bytes], timeout: float
) -> pl.DataFrame:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if serving.poll() is not None:
            log = serving.stdout.read().decode() if serving.stdout else ""
            raise AssertionError(f"serve exited with {serving.returncode}:\n{log[-3000:]}")
        found = read_rows(out / "pages") if (out / "pages").is_dir() else []
        if len(found) >= rows:
            return pl.DataFrame(found)
        time.sleep(1)
    raise AssertionError(f"fewer than {rows} rows in {out} after {timeout:.0f} s")


def _inputs(folder: Path) -> None:
    folder.mkdir()
    make_marked_pdf(folder / "doc_1.pdf", 1, 13)
    make_marked_pdf(folder / "doc_2.pdf", 2, 2)
    for doc_id in range(3, 8):
        make_marked_image(folder / f"img_{doc_id}.png", doc_id)
    (folder / "skip").mkdir()
    make_marked_image(folder / "skip" / "img_9.png", 9)


def _comparable(frame: pl.DataFrame, root: str) -> list[tuple[object, ...]]:
    local = frame.with_columns(pl.col("source").str.replace(root, "", literal=True))
    return sorted(local.select("source", "page", "status", "text").iter_rows())


@pytest.mark.slow
def test_dask_local_cluster_of_two_workers_writes_the_rows_of_a_local_run(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    _inputs(inbox)
    prefect_home = Path(os.environ["PREFECT_HOME"])
    with ChatServer(api_key=SECRET, latency=0.2) as server:
        env = {"VISIONBATCH_API_KEY": SECRET, "VISIONBATCH_MODEL": "pixtral-12b-2409"}
        common = ["--base-url", server.base_url, "--shard-size", "2", "--exclude", "skip/*"]
        local = CliRunner().invoke(
            app, ["run", str(inbox), "--out", str(tmp_path / "local"), *common], env=env
        )
        assert local.exit_code == 0, local.output
        images_local = sum(r.n_images for r in server.requests)
        server.reset_stats()
        on_dask = CliRunner().invoke(
            app,
            [
                "run",
                inbox.as_uri(),  # inputs and output as file:// URLs
                "--out",
                (tmp_path / "dask").as_uri(),
                *common,
                "--dask",
                "local",
                "--dask-workers",
                "2",
                "--concurrency",
                "2",  # for the whole run: each worker alone would send 2
            ],
            env=env,
        )
        assert on_dask.exit_code == 0, on_dask.output
    assert server.max_in_flight == 2
    local_rows = pl.DataFrame(read_rows(tmp_path / "local" / "pages"))
    dask_rows = pl.DataFrame(read_rows(tmp_path / "dask" / "pages"))
    assert local_rows.height == 20 and dask_rows.height == 20  # 13 + 2 + 5, skip/ left out
    assert _comparable(dask_rows, str(inbox)) == _comparable(local_rows, str(inbox))
    _texts_are_their_pages(dask_rows)
    # Each of the 4 shards wrote its own part file; each page was sent once, as locally (in
    # fewer, fuller requests: two in flight for the run leave more time to draw each).
    parts = sorted(p.name for p in (tmp_path / "dask" / "pages").glob("part-*.parquet"))
    assert len({name.rsplit("-", 1)[0] for name in parts}) == 4, parts
    assert sum(r.n_images for r in server.requests) == images_local
    assert "pages ok" in on_dask.output and "20" in on_dask.output
    # Workers got the key to call the endpoint; Prefect recorded it nowhere.
    for path in prefect_home.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_inputs_and_output_behind_memory_urls_give_the_rows_of_a_local_run(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "inbox"
    _inputs(folder)
    fs = fsspec.filesystem("memory")
    for path in folder.rglob("*.*"):
        fs.pipe_file(f"/ops-test/inbox/{path.relative_to(folder).as_posix()}", path.read_bytes())
    fs.pipe_file("/ops-test/inbox/broken.pdf", b"%PDF-1.7 not really")
    try:
        with ChatServer() as server:
            run([folder], tmp_path / "local", **_endpoint(server))
            sent_local = len(server.requests)
            summary, _ = run(
                ["memory://ops-test/inbox"], "memory://ops-test/out", **_endpoint(server)
            )
            sent_remote = len(server.requests) - sent_local
            again, _ = run(
                ["memory://ops-test/inbox"], "memory://ops-test/out", **_endpoint(server)
            )
            sent_again = len(server.requests) - sent_local - sent_remote
        remote = pl.DataFrame(read_rows("memory://ops-test/out/pages"))
        assert fs.glob("/ops-test/out/pages/part-*.parquet")
        local = pl.DataFrame(read_rows(tmp_path / "local" / "pages"))
        broken = remote.filter(pl.col("source").str.ends_with("broken.pdf"))
        assert broken["status"].to_list() == ["error"] and "PDF" in broken["error"][0]
        good = remote.filter(~pl.col("source").str.ends_with("broken.pdf"))
        assert _comparable(good, "memory:///ops-test/inbox") == _comparable(local, str(folder))
        assert good["source"].str.starts_with("memory:///ops-test/inbox/").all()
        assert sent_remote == sent_local and summary.pages_ok == 21
        # The ledger read back from memory://: the rerun only retries the broken file.
        assert sent_again == 0 and again.pages_skipped == 21
        assert pl.DataFrame(read_rows("memory://ops-test/out/pages")).height == 22
    finally:
        fs.rm("/ops-test", recursive=True)


def test_the_files_bar_has_the_counted_total_an_eta_and_what_the_run_waits_on() -> None:
    import io

    from rich.console import Console

    from flows.terminal.display import TerminalProgress

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=160)
    states = []
    with TerminalProgress(console) as progress:
        states.append(progress._progress.tasks[0].fields["state"])
        progress.documents_found(100_000)
        progress.pages_found(30)
        progress.pages_planned(30)
        states.append(progress._progress.tasks[0].fields["state"])
        progress.requests_changed(2, 5)
        states.append(progress._progress.tasks[0].fields["state"])
        progress.retrying("HTTP 503", 3.0)
        states.append(progress._progress.tasks[0].fields["state"])
        progress.requests_changed(1, 6)
        states.append(progress._progress.tasks[0].fields["state"])
        for _ in range(3):
            progress.documents_done(1)
        progress.pages_finished(29, 1)
    drawn = screen.getvalue()
    assert "3/100000" in drawn and "29/30" in drawn.replace("30/30", "29/30")
    assert "ETA" in drawn and "1 error" in drawn
    assert states[:3] == ["starting Prefect", "rendering", "2 in flight, 5 sent"]
    assert "retrying in 3 s: HTTP 503" in states[3] and states[4] == "1 in flight, 6 sent"


@pytest.mark.slow
def test_backfill_filters_reach_the_run(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    for doc_id in range(2, 6):
        make_marked_image(archive / f"img_{doc_id}.png", doc_id)
    make_marked_pdf(archive / "doc_6.pdf", 6, 2)
    old = time.time() - 30 * 86400
    os.utime(archive / "img_2.png", (old, old))
    with ChatServer() as server:
        env = {"VISIONBATCH_BASE_URL": server.base_url, "VISIONBATCH_MODEL": "m"}
        out = str(tmp_path / "out")
        filters = ["--include", "*.png", "--since", "2000-01-01", "--limit", "2"]
        first = CliRunner().invoke(app, ["run", str(archive), "--out", out, *filters], env=env)
        assert first.exit_code == 0, first.output
        recent = (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%d")
        second = CliRunner().invoke(
            app,
            ["run", str(archive), "--out", out, "--include", "*.png", "--since", recent],
            env=env,
        )
        assert second.exit_code == 0, second.output
    rows = pl.DataFrame(read_rows(tmp_path / "out" / "pages")).sort("source")
    # First run: the first 2 PNGs of the sorted walk. Second run: the PNGs modified in the
    # last day, img_3 (already done: skipped), img_4 and img_5; never the PDF, and the old
    # img_2 not again.
    assert [Path(s).name for s in rows["source"]] == [f"img_{n}.png" for n in (2, 3, 4, 5)]
    runs = rows["run_id"].to_list()
    assert runs[0] == runs[1] != runs[2] == runs[3]
    assert len(server.requests) == 4


def test_a_worker_reads_the_ledger_once_per_run(tmp_path: Path) -> None:
    from extractors.document.session import run_ledger
    from extractors.sink.ledger import Ledger
    from extractors.sink.output import open_output
    from schemas import PAGE_ROW_ARROW_SCHEMA

    def worker_ledger(run_id: str) -> Ledger:
        output = open_output(tmp_path / "out", "pages", PAGE_ROW_ARROW_SCHEMA, owner=False)
        return run_ledger(Ledger, output, run_id, owner=False)

    with ChatServer() as server:
        make_marked_image(tmp_path / "img_2.png", 2)
        run([tmp_path / "img_2.png"], tmp_path / "out", **_endpoint(server))
        first = worker_ledger("run-a")
        assert worker_ledger("run-a") is first  # the next shard of the same run
        make_marked_image(tmp_path / "img_3.png", 3)
        run([tmp_path / "img_3.png"], tmp_path / "out", **_endpoint(server))
    assert len(first.pages_by_source) == 1
    # A new run reads DIR again, and sees what the last run wrote.
    assert len(worker_ledger("run-b").pages_by_source) == 2
