"""The help a run option shows beside its field: its flag, its value's name, and a default
that is not one value (the provider's, the machine's cores)."""

import os
from typing import Any

from extractors.endpoint.providers import LOCAL, get_preset


def flag(name: str, metavar: str | None = None) -> dict[str, Any]:
    """The command-line flag of a field whose name is not its flag (and its value's name)."""
    return {"flag": name, **value_help(metavar)}


def value_help(metavar: str | None, default: str | None = None) -> dict[str, Any]:
    """What the help calls an option's value, where its type alone would not say it:
    `--out DIR`, not `--out TEXT`; and its default, where it is not one value: `--concurrency
    N [default: the provider's: 8 for scaleway]`."""
    shown = {} if default is None else {"default_text": default}
    return shown if metavar is None else {"metavar": metavar, **shown}


def default_help(text: str) -> dict[str, Any]:
    """The help's default for a field whose default is None: what None stands for."""
    return value_help(None, text)


# The preset the help takes its examples from, and the embedded engine's.
_EXAMPLE = "scaleway"


def by_provider(attribute: str, unit: str = "") -> str:
    """`the provider's: 8 for scaleway, 2 for local`: a default that follows `--provider`."""
    example, local = getattr(get_preset(_EXAMPLE), attribute), getattr(get_preset(LOCAL), attribute)
    text = f"the provider's: {_figure(example)}{unit} for {_EXAMPLE}"
    return text if local == example else f"{text}, {_figure(local)}{unit} for {LOCAL}"


def _figure(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def cores() -> int:
    """The cores this process may use, as the renderers and `--dask local` count them."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def example_default(attribute: str) -> str:
    """`the provider's: pixtral-12b-2409 for scaleway`: a default the preset sets."""
    return f"the provider's: {_figure(getattr(get_preset(_EXAMPLE), attribute))} for {_EXAMPLE}"
