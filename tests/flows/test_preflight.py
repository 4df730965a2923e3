"""A user's mistake is answered before anything slow starts: one line, the right exit code,
and neither Prefect nor the renderer nor an endpoint touched."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cli_probe import CLI_PROBE
from repo_paths import REPO, SAMPLES


def _probe(*args: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", CLI_PROBE, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )
    return done.stdout.strip().splitlines()[-1], done.stderr  # help text, then the probe


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["no/such/folder"], "1", "input not found: no/such/folder"),
        (["--provider", "bogus"], "1", "unknown provider 'bogus'"),
        (["--schema", "nosuch"], "1", "unknown schema 'nosuch'"),
        (["--provider", "scaleway"], "1", "needs an API key in VISIONBATCH_API_KEY"),
        (["--concurrency", "0"], "2", "--concurrency: Input should be greater than or equal to 1"),
        (["--top-p", "0"], "2", "--top-p: Input should be greater than 0"),
        (["--render-timeout", "0"], "2", "--render-timeout: Input should be greater than 0"),
        (
            ["--render-workers", "0"],
            "2",
            "--render-workers: Input should be greater than or equal to 1",
        ),
    ],
)
def test_a_mistake_is_one_line_before_anything_slow(
    tmp_path: Path, args: list[str], code: str, says: str
) -> None:
    inputs = [] if args[0].startswith("no/") else [str(SAMPLES)]
    out, err = _probe("run", *inputs, *args, "--out", str(tmp_path / "out"))
    assert out == f"{code} -"  # exit code, and no heavy module was imported
    (line,) = err.strip().splitlines()
    assert line.startswith("visionbatch: error: ") and says in line


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_endpoint_nothing_listens_at_is_refused_before_anything_slow(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    args = ("run", str(SAMPLES), "--out", str(tmp_path / "out"), "--base-url", url)
    out, err = _probe(*args, "--model", "m")
    assert out == "1 -"  # refused before Prefect, the renderers or the SDK were imported
    (line,) = err.strip().splitlines()
    assert line.startswith(f"visionbatch: error: cannot connect to {url}: ")
    # A dry run asks nothing of the endpoint: it is not tried.
    out, _ = _probe(*args, "--model", "m", "--dry-run")
    assert out != "1 -"


def test_an_output_that_cannot_be_written_is_refused_before_anything_slow(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    out, err = _probe("run", str(SAMPLES), "--out", str(blocker / "out"))
    assert out == "1 -"
    assert err.strip() == (
        f"visionbatch: error: output directory {blocker / 'out'} is not writable: "
        f"{blocker} is a file"
    )


def test_help_loads_no_part_of_the_pipeline() -> None:
    for command in (["--help"], ["run", "--help"]):
        out, _ = _probe(*command)
        assert out == "0 -"


def test_help_names_values_not_python_types() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "flows", "run", "--help"],
        cwd=REPO,
        env={**os.environ, "COLUMNS": "120"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0
    usage = completed.stdout
    assert "run [OPTIONS] INPUT..." in usage and "{INPUT}" not in usage
    assert "<list" not in usage and "<str>" not in usage and "<bool>" not in usage
    for flag_and_value in ("--out", "DIR"), ("--concurrency", "N"), ("--text-layer", "auto|"):
        assert any(all(part in line for part in flag_and_value) for line in usage.splitlines())
    for panel in ("Input selection", "Endpoint", "Extraction", "Limits", "Scale-out", "Output"):
        assert panel in usage
