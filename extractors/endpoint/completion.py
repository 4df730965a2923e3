"""Reading a chat completion into an EndpointAnswer: its content, and usage figures checked."""

import logging
import math
import time
from typing import Any

from extractors.records import Box, EndpointAnswer, OcrLine, OcrPage

log = logging.getLogger(__name__)

# No model reads or writes a billion tokens in one request (the longest contexts are ~10^7),
# and a run's sums of such figures stay far inside Parquet's int64: a figure past this, or
# below zero, or not a whole number, is the endpoint's mistake and is stored as null.
MAX_TOKENS_FIGURE = 10**9


def read_completion(
    request_id: str, completion: Any, started: float, attempts: int
) -> EndpointAnswer:
    """The answer's content (or legacy `text`), finish reason and checked token counts."""
    choices = getattr(completion, "choices", None) or []
    choice = choices[0] if choices else None
    message = getattr(choice, "message", None)
    content = getattr(message, "content", None) if message is not None else None
    if not content and choice is not None:
        # Some providers (PredictionGuard's legacy shape) answer in choices[0].text.
        content = getattr(choice, "text", None) or (getattr(choice, "model_extra", None) or {}).get(
            "text"
        )
    usage = getattr(completion, "usage", None)
    return EndpointAnswer(
        request_id=request_id,
        content=content if isinstance(content, str) else None,
        finish_reason=getattr(choice, "finish_reason", None),
        prompt_tokens=token_figure(usage, "prompt_tokens"),
        completion_tokens=token_figure(usage, "completion_tokens"),
        latency_ms=(time.monotonic() - started) * 1000,
        attempts=attempts,
        mean_logprob=mean_logprob(getattr(choice, "logprobs", None)),
        ocr_pages=ocr_pages(getattr(completion, "model_extra", None) or {}),
    )


# The embedded engine's own field beside `choices`: per image, its lines with their scores and
# boxes, and the lines its detector found (extractors/offline/engine.py writes it).
OCR_EXTENSION = "visionbatch_ocr"


def mean_logprob(logprobs: Any) -> float | None:
    """The mean log-probability of the answer's tokens (`choices[0].logprobs.content`), or None
    when the endpoint returned none (or figures that are not finite numbers <= 0)."""
    tokens = getattr(logprobs, "content", None) if logprobs is not None else None
    values = [getattr(token, "logprob", None) for token in tokens or ()]
    figures = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    figures = [v for v in figures if math.isfinite(v) and v <= 0.0]
    return sum(figures) / len(figures) if figures else None


def ocr_pages(extra: dict[str, Any]) -> tuple[OcrPage, ...]:
    """The embedded engine's per-image report, if this answer carries one (else ())."""
    report = extra.get(OCR_EXTENSION)
    pages = report.get("pages") if isinstance(report, dict) else None
    if not isinstance(pages, list):
        return ()
    read = []
    for page in pages:
        try:
            lines = tuple(
                OcrLine(str(line["text"]), float(line["score"]), Box(*map(float, line["box"])))
                for line in page["lines"]
            )
            warnings = tuple(str(w) for w in page.get("warnings") or ())
            read.append(OcrPage(int(page["image"]), lines, int(page["detected_lines"]), warnings))
        except (KeyError, TypeError, ValueError):
            log.warning("the engine's OCR report of an image is malformed; ignored")
    return tuple(read)


def token_figure(usage: Any, name: str) -> int | None:
    """A usage figure if it is a token count in [0, MAX_TOKENS_FIGURE]; else None, warned."""
    value = getattr(usage, name, None)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TOKENS_FIGURE:
        return value
    log.warning(
        "endpoint reported usage %s=%.40r, not a token count in [0, %d]; stored as null",
        name,
        value,
        MAX_TOKENS_FIGURE,
    )
    return None
