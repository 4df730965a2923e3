"""Settings read once, at the edge, from the environment (prefix VISIONBATCH_)."""

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class EnvironmentSettings(BaseSettings):
    """VISIONBATCH_BASE_URL, _API_KEY, _MODEL, _PROVIDER, _PASSWORD; flags win over these."""

    model_config = SettingsConfigDict(env_prefix="VISIONBATCH_", extra="ignore")

    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str | None = None
    provider: str | None = None
    password: SecretStr | None = None
