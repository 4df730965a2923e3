"""How much of a page is ink: an empty answer for a page with ink is a failed reading."""

import numpy as np
from PIL import Image

# Measured on a small copy: the share of ink does not need every pixel, and a 1,024 px page
# reduced to 256 px costs ~1 ms where the full page costs ~10 ms.
_SAMPLE_SIDE = 256
# A pixel is ink when it is this much darker than the page's paper (its 90th percentile of
# lightness): scanner grey and JPEG noise stay under it, print and handwriting go over it.
_INK_CONTRAST = 80


def ink_share(image: Image.Image) -> float:
    """Share of the page's pixels that are ink (0-1), rounded to 4 places."""
    factor = max(1, max(image.size) // _SAMPLE_SIDE)
    sample = (image.reduce(factor) if factor > 1 else image).convert("L")
    pixels = np.asarray(sample, dtype=np.int16)
    if pixels.size == 0:
        return 0.0
    paper = int(np.percentile(pixels, 90))
    return round(float(np.mean(pixels < paper - _INK_CONTRAST)), 4)
