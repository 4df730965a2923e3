"""Settings read once, at the edge, from the environment (prefix VISIONBATCH_)."""

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from flows.config import Secrets
from flows.parameters import RunRequest


class EnvironmentSettings(BaseSettings):
    """VISIONBATCH_BASE_URL, _API_KEY, _MODEL, _PROVIDER, _PASSWORD; flags win over these."""

    model_config = SettingsConfigDict(env_prefix="VISIONBATCH_", extra="ignore")

    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str | None = None
    provider: str | None = None
    password: SecretStr | None = None

    def secrets(self, password: str | None = None) -> Secrets:
        """The key and the PDF password (a `--password` flag wins over the environment)."""
        stored = self.password.get_secret_value() if self.password else None
        return Secrets(
            api_key=self.api_key.get_secret_value() if self.api_key else "",
            password=password or stored,
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
