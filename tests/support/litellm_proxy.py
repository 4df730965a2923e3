"""A real LiteLLM proxy in front of a ChatServer, from a venv of its own (`.ci/litellm-venv`).

The venv is `VISIONBATCH_LITELLM_VENV`, else `.litellm-venv` in the repository; tests that need
the proxy skip cleanly when it is absent (`litellm_binary`). Its pins never touch ours: it runs
as a separate process, `litellm --config CONFIG --port P` on 127.0.0.1::

    with LiteLLMProxy(binary, server.base_url, [GatewayModel("m")], tmp_path) as proxy:
        run(..., base_url=proxy.base_url, secrets=Secrets(api_key=MASTER_KEY))
"""

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from repo_paths import REPO

# The proxy refuses to start without a master key; clients send it as their API key.
MASTER_KEY = "sk-vb-gateway-test-0123456789abcdef"
_START_SECONDS = 180.0  # measured 22 s on a loaded 2-core machine: imports are most of it


def litellm_venv() -> Path:
    return Path(os.environ.get("VISIONBATCH_LITELLM_VENV") or REPO / ".litellm-venv")


def litellm_binary() -> Path:
    """The proxy's `litellm` command, or a skip when its venv is not there."""
    binary = litellm_venv() / "bin" / "litellm"
    if not binary.is_file():
        pytest.skip(f"no LiteLLM proxy venv at {litellm_venv()} (make one with .ci/litellm-venv)")
    return binary


@dataclass(frozen=True)
class GatewayModel:
    """One model the gateway serves, all of them from the same upstream; `rpm` is the
    gateway's own limit for it (None: none)."""

    name: str
    rpm: int | None = None


def proxy_config(upstream: str, models: Sequence[GatewayModel], num_retries: int) -> str:
    """The proxy's YAML: each model passed to `upstream` as an OpenAI-compatible endpoint."""
    lines = ["model_list:"]
    for model in models:
        lines += [
            f"  - model_name: {model.name}",
            "    litellm_params:",
            f"      model: openai/{model.name}",
            f"      api_base: {upstream}",
            "      api_key: upstream-key",
        ]
        if model.rpm is not None:
            lines.append(f"      rpm: {model.rpm}")
    lines += [
        "litellm_settings:",
        f"  num_retries: {num_retries}",
        "  drop_params: false",
        "general_settings:",
        f"  master_key: {MASTER_KEY}",
        # The strategy that enforces a deployment's rpm, answering 429 with a retry-after.
        "router_settings:",
        "  routing_strategy: usage-based-routing-v2",
        f"  num_retries: {num_retries}",
    ]
    return "\n".join(lines) + "\n"


class LiteLLMProxy:
    """`litellm --config` on a free port in front of `upstream` (a ChatServer's base_url);
    started on entry once its liveliness check answers, stopped on exit."""

    def __init__(
        self,
        binary: Path,
        upstream: str,
        models: Sequence[GatewayModel],
        workdir: Path,
        num_retries: int = 0,
    ) -> None:
        self.binary = binary
        self.workdir = workdir
        self.config = workdir / "litellm.yaml"
        self.config.write_text(proxy_config(upstream, models, num_retries))
        self.log = workdir / "litellm.log"
        self.port = _free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> "LiteLLMProxy":
        command = [str(self.binary), "--config", str(self.config)]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        # Nothing leaves this machine: no telemetry, and the model cost map bundled with the
        # package instead of the one LiteLLM fetches from GitHub at start.
        env = {
            **os.environ,
            "LITELLM_TELEMETRY": "False",
            "LITELLM_LOG": "ERROR",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        }
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir, env=env
            )
        try:
            self._wait_until_live()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _wait_until_live(self) -> None:
        deadline = time.monotonic() + _START_SECONDS
        url = f"http://127.0.0.1:{self.port}/health/liveliness"
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"the LiteLLM proxy exited: {self._log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)  # not listening yet
        raise RuntimeError(f"the LiteLLM proxy did not start: {self._log_tail()}")

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2_000:]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
