"""The environment for a command the tests start: this one's, without endpoint settings."""

import os

# What would point a run at an endpoint or give it secrets: a test sets its own.
_ENDPOINT_SETTINGS = ("BASE_URL", "API_KEY", "MODEL", "PROVIDER", "PASSWORD", "HEADERS")


def without_endpoint_settings() -> dict[str, str]:
    """os.environ less the endpoint's settings (VISIONBATCH_BASE_URL, _API_KEY, _MODEL,
    _PROVIDER, _PASSWORD, _HEADERS); the rest, such as VISIONBATCH_PREFECT_SERVER, stays."""
    dropped = {f"VISIONBATCH_{name}" for name in _ENDPOINT_SETTINGS}
    return {k: v for k, v in os.environ.items() if k not in dropped}
