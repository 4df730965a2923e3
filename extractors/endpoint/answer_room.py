"""How much of a context the answer may take when no `--max-output-tokens` says."""


def fitted_answer_room(preferred: int, context_tokens: int, prompt_tokens: int) -> int:
    """The answer room when none is asked for: the provider's, but at most half of what the
    prompt leaves, so that a small context (LLaVA-1.5's 4,096) still has room for images;
    fewer images then go in each request, since each page needs its share of the answer."""
    return max(1, min(preferred, (context_tokens - prompt_tokens) // 2))
