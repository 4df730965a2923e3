"""Turning a run's parameters and secrets into the frozen option objects the stages receive."""

import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from extractors.answer.catalog import resolve_schema
from extractors.discover.page_ranges import parse_page_ranges
from extractors.document.extraction_options import ExtractionOptions, SessionOptions
from extractors.endpoint.answer_room import fitted_answer_room
from extractors.endpoint.headers import Headers, merged, parse_header
from extractors.endpoint.prompt import Prompt
from extractors.endpoint.providers import (
    ENGINE_SCHEMAS,
    GENERIC,
    LITELLM,
    LOCAL,
    ProviderPreset,
    get_preset,
)
from extractors.errors import RunAbortedError
from extractors.options import (
    BudgetOptions,
    EndpointOptions,
    InFlight,
    RateLimits,
    RenderOptions,
    Sampling,
    options_version,
)
from extractors.plan.profiles.registry import get_profile, infer_profile
from extractors.records import RowContext
from flows.options.parameters import RunRequest

if TYPE_CHECKING:
    from extractors.discover.page_slices import SlicingOptions


@dataclass(frozen=True)
class Secrets:
    """What must never become a parameter, a log line or a row."""

    api_key: str = field(default="", repr=False)
    password: str | None = field(default=None, repr=False)
    # Extra headers as given, `NAME=VALUE` (`--header`, VISIONBATCH_HEADERS): a gateway's key
    # travels in one, so none of them is ever a parameter.
    headers: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class ResolvedRun:
    """A run's provider and the options its session is built from."""

    provider: str
    session: SessionOptions

    @property
    def uses_local_engine(self) -> bool:
        """No endpoint configured: the embedded engine answers (`endpoint.base_url` is empty)."""
        return self.provider == LOCAL

    @property
    def endpoint(self) -> EndpointOptions:
        return self.session.endpoint

    @property
    def extraction(self) -> ExtractionOptions:
        return self.session.extraction

    @property
    def rows(self) -> RowContext:
        return self.session.rows

    def at(self, base_url: str) -> "ResolvedRun":
        """The same run against another endpoint (the embedded engine started for it)."""
        endpoint = replace(self.endpoint, base_url=base_url)
        return replace(self, session=replace(self.session, endpoint=endpoint))


def resolve_run(request: RunRequest, secrets: Secrets, run_id: str | None = None) -> ResolvedRun:
    """Options for a run; RunAbortedError with a one-line reason when they cannot work."""
    try:
        preset = _preset_for(request)
        prompt = Prompt(resolve_schema(request.schema_name), _user_instructions(request))
        model = request.model or preset.default_model
        if not model:
            raise RunAbortedError(f"provider {preset.name} needs --model (or VISIONBATCH_MODEL)")
        profile = get_profile(request.token_profile or _default_profile(preset, model))
        given_headers = tuple(parse_header(item) for item in secrets.headers)
    except ValueError as exc:
        raise RunAbortedError(str(exc)) from None
    if preset.name == LOCAL:
        _refuse_endpoint_options(request, preset, given_headers)
    if preset.name == LOCAL and prompt.schema.name not in ENGINE_SCHEMAS:
        raise RunAbortedError(
            f"the embedded OCR engine extracts {' and '.join(ENGINE_SCHEMAS)} only; "
            f"--schema {request.schema_name} needs a vision endpoint (--provider or --base-url)"
        )
    base_url = request.base_url or preset.base_url or ""
    if _carries_credentials(base_url):
        # Not echoed: the URL would show the key it carries.
        raise RunAbortedError(
            "--base-url (or VISIONBATCH_BASE_URL) carries credentials (user:key@); "
            "give the key in VISIONBATCH_API_KEY and the URL without it"
        )
    if preset.name != LOCAL and not base_url:
        raise RunAbortedError(f"provider {preset.name} needs --base-url (or VISIONBATCH_BASE_URL)")
    if preset.needs_key and not secrets.api_key:
        raise RunAbortedError(f"provider {preset.name} needs an API key in VISIONBATCH_API_KEY")
    context = request.context_tokens or preset.context_tokens
    prompt_tokens = prompt.token_estimate(preset.structured_output)
    max_output = request.max_output_tokens or fitted_answer_room(
        preset.max_output_tokens, context, prompt_tokens
    )
    budget = BudgetOptions(
        max_images=request.max_images or preset.max_images,
        context_tokens=context,
        max_output_tokens=max_output,
        prompt_tokens=prompt_tokens,
        packing=request.packing,
    )
    if budget.image_budget <= 0:
        raise RunAbortedError(
            f"--context-tokens {budget.context_tokens} leaves no room for images after "
            f"{max_output} output tokens and ~{budget.prompt_tokens} prompt tokens"
        )
    timeout = request.timeout or preset.timeout
    endpoint = EndpointOptions(
        base_url=base_url,
        model=model,
        api_key=secrets.api_key,
        timeout=timeout,
        max_retry_wait=request.max_retry_wait,
        max_answer_bytes=round(request.max_answer_mb * 1_000_000),
        structured_output=preset.structured_output,
        strict_schema=preset.strict_schema,
        max_output_tokens=max_output,
        output_tokens_field=preset.output_tokens_field,
        sampling=Sampling(request.temperature, request.top_p, request.seed),
        logprobs=preset.logprobs,
        takes_seed=preset.seed,
        headers=merged(preset.headers_for(timeout), given_headers),
    )
    render = RenderOptions(
        max_dpi=request.max_dpi,
        text_layer=request.text_layer,
        render_timeout=request.render_timeout,
        crop_margins=request.crop_margins,
        min_glyph_px=request.min_glyph_px,
    )
    extraction = ExtractionOptions(
        prompt=prompt,
        profile=profile,
        budget=budget,
        render=render,
        pages=parse_page_ranges(request.pages),
        keep_blank=request.keep_blank,
        keep_duplicates=request.keep_duplicates,
    )
    rows = RowContext(
        run_id=run_id or uuid.uuid4().hex[:12],
        model=model,
        provider=preset.name,
        schema_name=prompt.schema.name,
        schema_version=prompt.schema.fingerprint,
        prompt_version=prompt.version,
        options_version=options_version(profile.name, render),
    )
    session = SessionOptions(
        extraction=extraction,
        endpoint=endpoint,
        rows=rows,
        in_flight=InFlight(request.concurrency or preset.concurrency),
        rates=RateLimits(request.requests_per_minute, request.tokens_per_minute),
        password=secrets.password,
        render_workers=request.render_workers,
    )
    return ResolvedRun(preset.name, session)


def page_slicing(request: RunRequest, secrets: Secrets) -> "SlicingOptions | None":
    """How a Dask run cuts long documents into slices (`--dask-slice-pages`); None for a
    document schema, whose one answer needs the whole document."""
    # Here, not at the top: slicing counts pages with PyMuPDF, which the preflight of every
    # command must not load (tests/flows/test_preflight.py).
    from extractors.discover.page_slices import SlicingOptions

    if resolve_schema(request.schema_name).unit == "document":
        return None
    pages = parse_page_ranges(request.pages)
    return SlicingOptions(request.dask_slice_pages, pages, secrets.password)


def _refuse_endpoint_options(request: RunRequest, preset: ProviderPreset, headers: Headers) -> None:
    """RunAbortedError naming the endpoint-only options given to a run of the embedded engine:
    it would ignore them, and rows stamped `model = gpt-9-vision` would say what did not run."""
    given = [
        flag
        for flag, value, default in (
            ("--model", request.model, preset.default_model),
            ("--temperature", request.temperature, 0.0),
            ("--top-p", request.top_p, None),
            ("--seed", request.seed, None),
            ("--max-output-tokens", request.max_output_tokens, None),
        )
        if value is not None and value != default
    ]
    if headers:
        given.append("--header (or VISIONBATCH_HEADERS)")
    if given:
        raise RunAbortedError(
            f"{', '.join(given)} {'needs' if len(given) == 1 else 'need'} a vision endpoint "
            "(--provider or --base-url); with "
            f"none, the embedded OCR engine ({preset.default_model}) reads the pages"
        )


def _carries_credentials(url: str) -> bool:
    """Whether a URL has a user or password: it would be shown in logs and Prefect's
    parameters, and sent as Basic auth instead of the bearer key."""
    return "@" in urlsplit(url).netloc


def _user_instructions(request: RunRequest) -> str | None:
    if request.prompt_file is None:
        return None
    try:
        return Path(request.prompt_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read --prompt {request.prompt_file}: {exc}") from None


def _preset_for(request: RunRequest) -> ProviderPreset:
    if request.provider:
        return get_preset(request.provider)
    return get_preset(GENERIC if request.base_url else LOCAL)


def _default_profile(preset: ProviderPreset, model: str) -> str:
    if preset.name in (GENERIC, LITELLM, "vllm", "scaleway-managed"):
        return infer_profile(model, default=preset.profile)
    return preset.profile
