"""Behind LiteLLM and directly, with the same upstream faults: attempts per page, time to
finish, and upstream requests that outlive the attempt we gave up on.

    .venv/bin/python benchmarks/gateway.py [--pages 30]

The upstream is the test chat server answering 20% 429, 10% 500 and 5% hangs of 20 s; runs use
`--timeout 3`, one page per request, 4 in flight (the tests' harness: no Prefect, millisecond
backoff, so the figures are the gateway's doing, not our waits). Three ways in:

- direct: visionbatch to the endpoint;
- litellm, num_retries 2: the proxy retries on its own (the usual setting), generic preset;
- litellm preset: the same proxy, but `--provider litellm` sends `x-litellm-num-retries: 0`
  and `x-litellm-timeout: 3`, so every try is ours and an abandoned attempt stops upstream.

Needs the proxy's venv (`.ci/litellm-venv`; `VISIONBATCH_LITELLM_VENV`).
"""

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from common import REPO  # noqa: F401  (puts the repository and tests/support on sys.path)

# isort: off
from chat_server import ChatServer
from harness import run_direct
from litellm_proxy import MASTER_KEY, GatewayModel, LiteLLMProxy, litellm_binary
from markers import make_marked_image

from flows.options.config import Secrets

# isort: on

FAULTS = {"status:429": 0.20, "status:500": 0.10, "hang:20": 0.05}
TIMEOUT = 3.0


@dataclass(frozen=True)
class Outcome:
    way: str
    pages_ok: int
    attempts_per_page: float  # what the rows say
    upstream_per_page: float  # what the endpoint saw
    seconds: float
    outlived: int  # hung upstream requests still held after the attempt that sent them ended


def measure(way: str, base_url: str, provider: str | None, inputs: Path, up: ChatServer) -> Outcome:
    drain(up)  # hangs a previous way left open end first: they are not this way's
    up.reset_stats()
    up.seed, up.fault_rates = 11, FAULTS
    out = Path(tempfile.mkdtemp(prefix="gateway-out-"))
    started = time.monotonic()
    asyncio.run(
        run_direct(
            [inputs],
            out,
            base_url=base_url,
            provider=provider,
            model="m",
            timeout=TIMEOUT,
            concurrency=4,
            max_images=1,
            secrets=Secrets(api_key=MASTER_KEY),
        )
    )
    seconds = time.monotonic() - started
    up.fault_rates = None
    time.sleep(1.0)  # a hang dropped with its client ends within the server's poll
    hung = [r for r in up.requests if r.fault is not None and r.fault.kind == "hang"]
    outlived = up.in_flight + sum(1 for r in hung if r.status == 200)
    df = pl.read_parquet(str(out / "pages" / "*.parquet"))
    pages = df.height
    return Outcome(
        way,
        int((df["status"] == "ok").sum()),
        float(df["attempts"].sum()) / pages,
        (len(up.requests) + up.in_flight) / pages,
        seconds,
        outlived,
    )


def drain(up: ChatServer) -> None:
    deadline = time.monotonic() + 30
    while up.in_flight and time.monotonic() < deadline:
        time.sleep(0.2)


def warm_up(base_url: str, up: ChatServer) -> None:
    """One request through the proxy first: its first answer takes seconds (imports)."""
    folder = Path(tempfile.mkdtemp(prefix="gateway-warm-"))
    make_marked_image(folder / "img_1.jpg", 1, size=(300, 400))
    out = folder / "out"
    asyncio.run(
        run_direct([folder], out, base_url=base_url, model="m", secrets=Secrets(MASTER_KEY))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=30)
    pages = parser.parse_args().pages
    inputs = Path(tempfile.mkdtemp(prefix="gateway-in-"))
    for index in range(pages):
        make_marked_image(inputs / f"img_{index + 1}.jpg", index + 1, size=(300, 400))
    work = Path(tempfile.mkdtemp(prefix="gateway-litellm-"))
    outcomes = []
    with ChatServer(latency=0.05) as up:
        outcomes.append(measure("direct", up.base_url, None, inputs, up))
        with LiteLLMProxy(litellm_binary(), up.base_url, [GatewayModel("m")], work, 2) as proxy:
            warm_up(proxy.base_url, up)
            outcomes.append(measure("litellm, num_retries 2", proxy.base_url, None, inputs, up))
            outcomes.append(measure("litellm preset", proxy.base_url, "litellm", inputs, up))
    print(f"{pages} pages, faults {FAULTS}, --timeout {TIMEOUT:g}, --concurrency 4")
    print(
        f"{'way in':<24} {'ok':>4} {'attempts/page':>14} {'upstream/page':>14} "
        f"{'seconds':>8} {'outlived':>9}"
    )
    for o in outcomes:
        print(
            f"{o.way:<24} {o.pages_ok:>4} {o.attempts_per_page:>14.2f} "
            f"{o.upstream_per_page:>14.2f} {o.seconds:>8.1f} {o.outlived:>9}"
        )


if __name__ == "__main__":
    main()
