"""Tries a gateway made upstream on its own before it answered, as its headers report them.

LiteLLM's proxy says `x-litellm-attempted-retries` (its retries of the request that finally
answered) and Portkey `x-portkey-retry-attempt-count`. Neither says why it retried (a 429 or a
5xx), nor reports anything on an answer that failed after its retries: with `num_retries: 0`
on the gateway (or the `litellm` preset, which asks for it per request), every try is ours.
"""

from typing import Any

# Each counts the retries only: the first try is not in the figure.
RETRY_COUNT_HEADERS = ("x-litellm-attempted-retries", "x-portkey-retry-attempt-count")
# Far above any gateway's retry setting: a larger figure is a malformed header, not tries.
_MOST_RETRIES = 100


def gateway_retries(headers: Any) -> int:
    """The retries a gateway reports having made for this answer (0 when none says)."""
    for name in RETRY_COUNT_HEADERS:
        value = headers.get(name)
        if value is None:
            continue
        try:
            retries = int(str(value).strip())
        except ValueError:
            continue  # malformed: counted as none rather than guessed
        if 0 <= retries <= _MOST_RETRIES:
            return retries
    return 0
