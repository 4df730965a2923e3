"""The token profiles by name, and the profile a model name suggests."""

from extractors.plan.profiles.base import TokenProfile
from extractors.plan.profiles.gemma import FixedGridProfile
from extractors.plan.profiles.llava import CentreCropProfile
from extractors.plan.profiles.ocr_engine import OcrEngineProfile
from extractors.plan.profiles.openai import OpenAITileProfile
from extractors.plan.profiles.pixtral import PixtralProfile
from extractors.plan.profiles.qwen import QwenProfile

PROFILES: dict[str, TokenProfile] = {
    p.name: p
    for p in (
        PixtralProfile(),
        QwenProfile(),
        FixedGridProfile(),
        CentreCropProfile(),
        OpenAITileProfile(),
        OcrEngineProfile(),
    )
}


_MODEL_HINTS = (
    ("qwen", "qwen2.5-vl"),
    ("gemma", "gemma3"),
    ("llava", "llava-1.5"),
    ("gpt-", "openai"),
    ("o4-", "openai"),
    ("pixtral", "pixtral"),
    ("mistral", "pixtral"),
)


def get_profile(name: str) -> TokenProfile:
    """The profile of that name, or a ValueError listing the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown token profile {name!r}; known: {', '.join(PROFILES)}") from None


def infer_profile(model: str, default: str = "pixtral") -> str:
    """The profile a model name suggests (qwen, gemma, llava, gpt-...), else `default`."""
    lowered = model.lower()
    return next((profile for hint, profile in _MODEL_HINTS if hint in lowered), default)
