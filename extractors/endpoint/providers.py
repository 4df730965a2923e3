"""What we know of each provider, so that a user gives only `--provider` and a key."""

from dataclasses import dataclass
from typing import Literal

from extractors.options import BatchFlavour, StructuredOutput

LOCAL = "local"
GENERIC = "openai-compatible"
LITELLM = "litellm"
# What the embedded OCR engine (the `local` preset) can extract: text, and receipts by rules.
ENGINE_SCHEMAS = ("page_text", "receipt")


@dataclass(frozen=True)
class ProviderPreset:
    """A provider's base URL, default model, limits and quirks (../shared/docs/endpoints.md)."""

    name: str
    base_url: str | None
    default_model: str | None
    max_images: int
    profile: str
    context_tokens: int
    max_output_tokens: int = 16_384
    structured_output: StructuredOutput = "json_schema"
    strict_schema: bool = False
    output_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    needs_key: bool = True
    concurrency: int = 8
    timeout: float = 120.0
    # Whether the endpoint streams answers to requests with images. visionbatch validates
    # whole answers and never streams; this is listed so users know what each endpoint offers.
    streaming: bool = True
    # Its batch API's flavour (`--batch`), or None when it has none (../shared/docs/batch-apis.md).
    batch: BatchFlavour | None = None
    # Whether it returns token log-probabilities when asked (`logprobs: true`): documented for
    # OpenAI and vLLM (../shared/docs/trust.md section 4); not asked of the others.
    logprobs: bool = False
    # Whether it takes a `seed` (OpenAI, vLLM and Ollama document one): a page asked again
    # after a degenerate answer gets another seed besides a higher temperature.
    seed: bool = False
    # Headers sent with every request (`--header` adds to them or replaces one).
    headers: tuple[tuple[str, str], ...] = ()
    # A header that carries `--timeout` (seconds) to a gateway, so that an attempt we abandon
    # is abandoned upstream too rather than kept running (and billed) while we resend it.
    timeout_header: str | None = None

    def headers_for(self, timeout: float) -> tuple[tuple[str, str], ...]:
        """The preset's headers for a run with this per-attempt timeout."""
        if self.timeout_header is None:
            return self.headers
        return (*self.headers, (self.timeout_header, f"{timeout:g}"))


PRESETS: dict[str, ProviderPreset] = {
    p.name: p
    for p in (
        ProviderPreset(
            # The embedded engine reads one image at a time: small requests, two in flight keep
            # it busy and make the progress bar move; a queued request waits, hence the timeout.
            LOCAL,
            None,
            "rapidocr-ppocrv6",
            4,
            "local-ocr",
            1_000_000,
            needs_key=False,
            concurrency=2,
            timeout=600.0,
            streaming=False,
        ),
        ProviderPreset(
            GENERIC, None, None, 12, "pixtral", 128_000, needs_key=False, batch="openai"
        ),
        ProviderPreset(
            "scaleway",
            "https://api.scaleway.ai/v1",
            "pixtral-12b-2409",
            12,
            "pixtral",
            128_000,
            output_tokens_field="max_completion_tokens",
            batch="scaleway",
        ),
        ProviderPreset(
            "scaleway-managed", None, "mistral/pixtral-12b-2409:bf16", 12, "pixtral", 128_000
        ),
        ProviderPreset(
            "predictionguard",
            "https://api.predictionguard.com",
            "llava-1.5-7b-hf",
            1,
            "llava-1.5",
            4_096,
            max_output_tokens=1_024,
            structured_output="prompt",
            streaming=False,  # its client refuses stream=True with images
        ),
        ProviderPreset(
            "gravix", "https://api.gravixlayer.com/v1/inference", "gemma3:12b", 8, "gemma3", 128_000
        ),
        ProviderPreset(
            "vllm",
            "http://localhost:8000/v1",
            None,
            12,
            "pixtral",
            128_000,
            needs_key=False,
            logprobs=True,
            seed=True,
        ),
        ProviderPreset(
            "openai",
            "https://api.openai.com/v1",
            "gpt-4.1-mini",
            12,
            "openai",
            128_000,
            strict_schema=True,
            output_tokens_field="max_completion_tokens",
            batch="openai",
            logprobs=True,
            seed=True,
        ),
        ProviderPreset(
            # Pixtral takes images; its documented image limit per request is unclear: 8.
            "mistral",
            "https://api.mistral.ai/v1",
            "pixtral-12b-2409",
            8,
            "pixtral",
            128_000,
            batch="mistral",
        ),
        ProviderPreset(
            # The LiteLLM proxy (its default port), in front of whatever the user routes to:
            # visionbatch owns the retries (it reads every 429's wait and slows for them; the
            # proxy would hide them), and an attempt given up here is given up upstream.
            LITELLM,
            "http://localhost:4000/v1",
            None,
            12,
            "pixtral",
            128_000,
            needs_key=False,
            headers=(("x-litellm-num-retries", "0"),),
            timeout_header="x-litellm-timeout",
        ),
        ProviderPreset(
            "ollama",
            "http://localhost:11434/v1",
            "qwen2.5vl:7b",
            4,
            "qwen2.5-vl",
            32_768,
            needs_key=False,
            seed=True,
        ),
    )
}


def get_preset(name: str) -> ProviderPreset:
    """The preset of that name, or a ValueError listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(n for n in PRESETS if n != GENERIC)
        raise ValueError(f"unknown provider {name!r}; known: {known}") from None
