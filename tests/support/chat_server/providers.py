"""Each provider preset's documented behaviour (../shared/docs/endpoints.md), as settings."""

from __future__ import annotations

from typing import Any

# ChatServer keyword arguments, by preset name: `ChatServer.for_provider(name)`.
PROFILES: dict[str, dict[str, Any]] = {
    "scaleway": {"prefix": "/v1", "api_key": "k", "max_images": 12},
    "scaleway-managed": {
        "prefix": "/v1",
        "api_key": "k",
        "max_images": 12,
        "too_many_images_status": 413,
    },
    "predictionguard": {
        "prefix": "",
        "api_key": "k",
        "max_images": 1,
        "supports_response_format": False,
        "legacy_text": True,
    },
    "gravix": {"prefix": "/v1/inference", "api_key": "k"},
    # vLLM started with --limit-mm-per-prompt '{"image":4}'.
    "vllm": {"prefix": "/v1", "max_images": 4},
    "openai": {"prefix": "/v1", "api_key": "k", "strict_schemas": True},
    "ollama": {"prefix": "/v1"},
    "litellm": {"prefix": "/v1"},
    "mistral": {"prefix": "/v1", "api_key": "k", "max_images": 8},
}
