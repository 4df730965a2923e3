"""Settings read once, at the edge, from the environment (prefix VISIONBATCH_)."""

import json
import os
from collections.abc import Iterable

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from flows.options.config import Secrets
from flows.options.parameters import RunRequest

# Extra headers: `NAME=VALUE` lines, or a JSON object of names to values.
HEADERS_VARIABLE = "VISIONBATCH_HEADERS"


class EnvironmentSettings(BaseSettings):
    """VISIONBATCH_BASE_URL, _API_KEY, _MODEL, _PROVIDER, _PASSWORD, _HEADERS; flags win over
    these."""

    model_config = SettingsConfigDict(env_prefix="VISIONBATCH_", extra="ignore")

    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str | None = None
    provider: str | None = None
    password: SecretStr | None = None
    # Kept as a secret: a gateway's key often travels in a header.
    headers: SecretStr | None = None

    def secrets(self, password: str | None = None) -> Secrets:
        """The key, the PDF password (a `--password` flag wins over the environment) and the
        extra headers (`--header` flags reach the run through VISIONBATCH_HEADERS)."""
        stored = self.password.get_secret_value() if self.password else None
        return Secrets(
            api_key=self.api_key.get_secret_value() if self.api_key else "",
            password=password or stored,
            headers=header_items(self.headers.get_secret_value() if self.headers else ""),
        )

    def fill(self, request: RunRequest) -> RunRequest:
        """The request with what its flags left out taken from the environment."""
        return request.model_copy(
            update={
                "provider": request.provider or self.provider,
                "base_url": request.base_url or self.base_url,
                "model": request.model or self.model,
            }
        )


def header_items(text: str) -> tuple[str, ...]:
    """The `NAME=VALUE` items of VISIONBATCH_HEADERS (checked when the run is resolved)."""
    if text.lstrip().startswith("{"):
        try:
            given = json.loads(text)
        except json.JSONDecodeError:
            given = None
        if isinstance(given, dict):
            return tuple(f"{name}={value}" for name, value in given.items())
    return tuple(line for line in (part.strip() for part in text.splitlines()) if line)


def export_headers(items: Iterable[str]) -> None:
    """Hand `--header` flags to the run the way the environment hands the key: they are never
    parameters (Prefect shows those), and a served deployment's runs inherit them. Added after
    the environment's own, so that a flag replaces a header of the same name."""
    given = list(items)
    if not given:
        return
    present = header_items(os.environ.get(HEADERS_VARIABLE, ""))
    os.environ[HEADERS_VARIABLE] = "\n".join([*present, *given])
