"""How a page is sampled when it is asked again after a degenerate answer."""

from typing import Any

from extractors.options import EndpointOptions

# Temperatures of the first, second... asking again after a degenerate answer: high enough to
# leave a loop's groove (chandra retries at 0.3, olmocr climbs 0.1 -> 1.0), low enough to stay
# a faithful transcription.
RESAMPLE_TEMPERATURES = (0.6, 0.9)


def sampling_for(options: EndpointOptions, resample: int) -> dict[str, Any]:
    """The configured sampling; for the n-th asking again, a higher temperature and another
    seed (when the endpoint takes one), so that the answer does not repeat itself."""
    sampling = options.sampling
    kwargs = sampling.as_kwargs()
    if resample <= 0:
        return kwargs
    step = RESAMPLE_TEMPERATURES[min(resample, len(RESAMPLE_TEMPERATURES)) - 1]
    kwargs["temperature"] = max(sampling.temperature, step)
    if sampling.seed is not None or options.takes_seed:
        kwargs["seed"] = (sampling.seed or 0) + resample
    return kwargs
