"""The API key never reaches logs, Parquet, error messages, Prefect parameters or artifacts."""

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from chat_server import ChatServer, status
from cli_probe import CLI_PROBE
from key_forms import echoed_forms, forms_found
from markers import make_marked_image, make_marked_pdf
from repo_paths import REPO, SAMPLES

KEY = "sk-vb-0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def every_byte_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


# Two runs through Prefect logging everything at DEBUG: minutes each on a loaded machine.
@pytest.mark.timeout(900)
def test_a_recognisable_key_appears_in_no_output(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    make_marked_pdf(inputs / "doc_1.pdf", 1, 2)
    make_marked_image(inputs / "img_2.png", 2)
    out, prefect_home = tmp_path / "out", tmp_path / "prefect-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VISIONBATCH_", "PREFECT_"))}
    env |= {
        "PREFECT_HOME": str(prefect_home),
        # Everything Prefect and the libraries log, at DEBUG, to the console and to the API.
        "PREFECT_LOGGING_LEVEL": "DEBUG",
        "PREFECT_LOGGING_ROOT_LEVEL": "DEBUG",
        "PREFECT_LOGGING_TO_API_ENABLED": "true",
        "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "DEBUG",
        "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "DEBUG",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # Logging everything at DEBUG slows the temporary server's start a lot on a loaded
        # machine: 90 s was seen to pass before it answered.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",
        "OPENAI_LOG": "debug",
        "VISIONBATCH_API_KEY": KEY,
    }
    outputs: list[str] = []
    with ChatServer(api_key=KEY) as server:
        env["VISIONBATCH_BASE_URL"] = server.base_url
        command = [sys.executable, "-m", "flows", "run", str(inputs), "--out", str(out)]
        command += ["--model", "m", "--concurrency", "1", "--max-images", "2"]
        # Providers that echo the key: in a refusal (an error row), in a retried 5xx, in a 401.
        # The 400s echo it in each of its usual encodings as well (URL, case, base64).
        encoded = " ".join(echoed_forms(KEY).values())
        server.inject(
            status(500, message=f"upstream failed for {KEY}"),
            *[status(400, message=f"invalid request for key {KEY} ({encoded})")] * 3,
        )
        first = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300
        )
        outputs += [first.stdout, first.stderr]
        assert first.returncode == 0, first.stderr[-3000:]
        server.inject(status(401, message=f"Incorrect API key provided: {KEY}"))
        (inputs / "img_3.png").write_bytes((inputs / "img_2.png").read_bytes() + b"changed")
        second = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300
        )
        outputs += [second.stdout, second.stderr]
        assert all(r.authorization == f"Bearer {KEY}" for r in server.requests)  # it was sent
    assert second.returncode == 1
    assert "visionbatch: error: authentication refused" in second.stderr
    assert "Incorrect API key provided: ***" in second.stderr
    df = pl.read_parquet(str(out / "pages" / "*.parquet"))
    errors = df.filter(pl.col("status") == "error")["error"].to_list()
    assert errors and all("invalid request for key ***" in e for e in errors)
    assert len(first.stderr) > 1000  # DEBUG logging really was on
    for text in outputs:
        assert forms_found(KEY, text) == []
    assert forms_found(KEY, every_byte_under(out)) == []
    # Prefect's database (flow-run parameters, logs sent to the API, artifacts) and its files.
    prefect_bytes = every_byte_under(prefect_home)
    assert str(inputs).encode() in prefect_bytes  # the flow's parameters were recorded there
    assert forms_found(KEY, prefect_bytes) == []


@pytest.mark.parametrize("where", ["flag", "environment"])
def test_a_key_in_the_base_url_is_refused_without_being_shown(tmp_path: Path, where: str) -> None:
    url = f"https://visionbatch:{KEY}@api.example.com/v1"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VISIONBATCH_")}
    args = [str(SAMPLES), "--out", str(tmp_path / "out"), "--model", "m"]
    if where == "flag":
        args += ["--base-url", url]
    else:
        env["VISIONBATCH_BASE_URL"] = url
    done = subprocess.run(
        [sys.executable, "-c", CLI_PROBE, "run", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip().splitlines()[-1] == "1 -"  # exit 1, nothing heavy started
    (line,) = done.stderr.strip().splitlines()
    assert line == (
        "visionbatch: error: --base-url (or VISIONBATCH_BASE_URL) carries credentials "
        "(user:key@); give the key in VISIONBATCH_API_KEY and the URL without it"
    )
    assert forms_found(KEY, done.stdout + done.stderr) == []
    assert not (tmp_path / "out").exists()
