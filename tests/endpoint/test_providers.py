"""Each provider preset against a test server that behaves as that provider is documented to."""

from pathlib import Path
from urllib.parse import urlsplit

import polars as pl
import pytest
from chat_server import PROFILES, ChatServer
from document_answers import pages_of, receipt_answer
from harness import run
from markers import make_marked_image, make_marked_pdf

from extractors.endpoint.providers import PRESETS, get_preset
from flows.options.config import Secrets

PROVIDERS = sorted(PROFILES)


def rehosted(preset_url: str, server_url: str) -> str:
    """The preset's own base URL (its path untouched) pointed at the local server."""
    return server_url + urlsplit(preset_url).path.rstrip("/")


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_pdf(folder / "receipt_1.pdf", 1, 3)
    make_marked_image(folder / "receipt_2.jpg", 2)
    return folder


def test_every_remote_preset_has_a_server_profile() -> None:
    assert set(PROFILES) == set(PRESETS) - {"local", "openai-compatible"}


@pytest.mark.parametrize("schema", ["page_text", "receipt"])
@pytest.mark.parametrize("name", PROVIDERS)
def test_preset_works_against_its_provider_profile(
    name: str, schema: str, inputs: Path, tmp_path: Path
) -> None:
    preset = get_preset(name)
    out = tmp_path / "out"
    with ChatServer.for_provider(name, document_answer=receipt_answer) as server:
        # Scaleway Managed Inference has a URL per deployment: the user gives it.
        base_url = rehosted(preset.base_url, server.url) if preset.base_url else server.base_url
        model = None if preset.default_model else "served-model"
        summary, _ = run(
            [inputs],
            out,
            provider=name,
            base_url=base_url,
            model=model,
            schema_name=schema,
            secrets=Secrets(api_key="k"),
        )
        requests = server.requests
    refused = [(r.status, r.n_images) for r in requests if r.status != 200]
    assert refused == []
    assert {r.path for r in requests} == {f"{server.prefix}/chat/completions"}
    assert {r.model for r in requests} == {preset.default_model or "served-model"}
    assert all(r.authorization == "Bearer k" for r in requests)
    assert {r.max_tokens_field for r in requests} == {preset.output_tokens_field}
    formats = [r.response_format for r in requests]
    if preset.structured_output == "json_schema":
        strict = [f["json_schema"].get("strict", False) for f in formats if f is not None]
        assert strict == [preset.strict_schema] * len(requests)
    else:  # PredictionGuard: the schema goes in the prompt, and no response_format field
        assert formats == [None] * len(requests)
        assert all('"properties"' in " ".join(r.texts) for r in requests)
    assert max(r.n_images for r in requests) <= preset.max_images
    dataset = "pages" if schema == "page_text" else "receipt"
    df = pl.read_parquet(out / dataset / "*.parquet")
    assert df["status"].unique().to_list() == ["ok"] and df["provider"].unique().to_list() == [name]
    assert summary.pages_ok == (4 if schema == "page_text" else 2)


@pytest.mark.parametrize(
    ("name", "max_images", "limit", "status"),
    [("scaleway", 13, 12, 400), ("scaleway-managed", 13, 6, 413), ("vllm", None, 4, 400)],
)
def test_each_providers_too_many_images_refusal_is_learned(
    name: str, max_images: int | None, limit: int, status: int, tmp_path: Path
) -> None:
    """A 13th image is refused with 400 by Scaleway and 413 by its Managed Inference; vLLM
    names its limit. Each is learned from one refusal and every page still completes."""
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_pdf(folder / "doc_3.pdf", 3, 14)
    preset = get_preset(name)
    out = tmp_path / "out"
    with ChatServer.for_provider(name) as server:
        base_url = rehosted(preset.base_url, server.url) if preset.base_url else server.base_url
        run(
            [folder],
            out,
            provider=name,
            base_url=base_url,
            model=None if preset.default_model else "served-model",
            max_images=max_images,
            secrets=Secrets(api_key="k"),
        )
        refused = [r for r in server.requests if r.status != 200]
        answered = [r for r in server.requests if r.status == 200]
    assert [r.status for r in refused] == [status]
    assert max(r.n_images for r in answered) == limit
    df = pl.read_parquet(out / "pages" / "*.parquet")
    assert df.height == 14 and df["status"].unique().to_list() == ["ok"]
    assert sorted(p for r in answered for _, p in pages_of(r)) == list(range(1, 15))
