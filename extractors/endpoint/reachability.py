"""Whether anything listens at an endpoint's address, asked before a run starts anything slow.

A wrong `--base-url` (a refused port, a name that does not resolve) is a user's mistake: it is
answered in one line before Prefect and the renderers start (~5-20 s on a loaded machine),
not after the first request's retries. Only the TCP connection is tried: what answers there,
and whether it takes the key, is the run's to find out. Through an HTTP proxy (HTTP_PROXY /
HTTPS_PROXY / ALL_PROXY) the address is the proxy's business, so nothing is tried.
"""

import os
import socket
import time
from urllib.parse import urlsplit
from urllib.request import proxy_bypass

# As long as the client's budget for an endpoint that never answered (client.py): one that
# comes up within it is not refused here.
PROBE_SECONDS = 6.0
_CONNECT_TIMEOUT = 3.0
_PAUSE = 0.5


def unreachable_reason(base_url: str, seconds: float = PROBE_SECONDS) -> str | None:
    """Why nothing can be connected to at `base_url`'s host and port after trying for
    `seconds`, or None when a connection was made (or a proxy stands between)."""
    parts = urlsplit(base_url)
    host = parts.hostname
    if not host or _behind_proxy(parts.scheme, host):
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    deadline = time.monotonic() + seconds
    while True:
        reason = _connect_failure(host, port)
        if reason is None or time.monotonic() + _PAUSE >= deadline:
            return reason
        time.sleep(_PAUSE)


def _connect_failure(host: str, port: int) -> str | None:
    try:
        with socket.create_connection((host, port), timeout=_CONNECT_TIMEOUT):
            return None
    except socket.gaierror as exc:
        return f"cannot resolve {host}: {exc.strerror or exc}"
    except OSError as exc:
        return f"{exc.strerror or type(exc).__name__} ({host}:{port})"


def _behind_proxy(scheme: str, host: str) -> bool:
    names = (f"{scheme}_proxy", "all_proxy")
    proxied = any(os.environ.get(name) or os.environ.get(name.upper()) for name in names)
    return proxied and not proxy_bypass(host)
