"""Which way up a scanned page or photo of text is, and turning it upright before it is sent.

Two tests, measured in benchmarks/orientation.py: the ink's projection profiles tell whether
the text lines run across or down the page (lines make the profile across them alternate
between ink and paper); RapidOCR's text-direction classifier, shown crops of the lines once
they run across, tells upright from upside down. `rotation` is the clockwise angle the page
was turned by: 0, 90, 180 or 270; None when the page holds too little text to tell.
"""

import threading
from dataclasses import dataclass

import numpy as np
import pymupdf
from PIL import Image

# The profiles are read on a copy this size: lines stay several pixels apart, and it is cheap.
_PROFILE_SIDE = 1024


# Share of the pixels that are ink on a page of text: less is blank, more is a photo or a fill.
_INK_SHARE = (0.002, 0.35)


# The profile across the lines must alternate this much more than the one along them. A page
# left as it is costs little; one turned wrongly is lost: on the 120 upright SROIE receipts
# and the benchmark's turned pages, 1.25 turned 9 upright pages, 1.9 (with the two below) 4
#: benchmarks/orientation.py measures it.
_AXIS_MARGIN = 1.9


# Line crops shown to the classifier, the heights (profile pixels) of a line of text, and the
# most of a line's box its ink covers (strokes with paper between them).
_CROPS = 16
_LINE_HEIGHTS = (4, 80)
_MAX_LINE_INK = 0.6


# Ink above the lines' core this many times the ink below (or the reverse) decides alone,
# when it is summed over at least this many lines: on a receipt photo whose other rows the
# table under it inks, two lines were left, a rule under one leaned 541 to 1, and the upright
# receipt was turned on its head (sroie_577; benchmarks/orientation.py counts such turns).
_STRONG_LEAN = 5.0
_LEANING_LINES = 4


# ...unless the classifier votes at least this much the other way: then the page is left.
_OPPOSING_VOTE = 0.2


# The classifier's mean vote (confidence-weighted, -1 upright to +1 upside down) must be at
# least this far from 0 to turn a page; nearer, the page is left as it is.
_SURE_VOTE = 0.5


# A PDF page is a scan when one image covers at least this share of it.
_SCAN_COVERAGE = 0.5


@dataclass(frozen=True)
class UprightPage:
    """A page turned upright, and the clockwise angle it was turned by (None: not judged)."""

    image: Image.Image
    rotation: int | None


def turn_upright(image: Image.Image) -> UprightPage:
    """The page upright; unchanged, with rotation None, when it holds too little text."""
    rotation = upright_rotation(image)
    if not rotation:
        return UprightPage(image, rotation)
    # PIL rotates counter-clockwise: a clockwise turn of r degrees is -r.
    return UprightPage(image.rotate(-rotation, expand=True), rotation)


def upright_rotation(image: Image.Image) -> int | None:
    """The clockwise angle (0, 90, 180, 270) that stands the page's text upright."""
    ink = _ink(image)
    share = float(ink.mean()) if ink.size else 0.0
    if not _INK_SHARE[0] <= share <= _INK_SHARE[1]:
        return None
    across, down = _alternation(ink.sum(axis=1)), _alternation(ink.sum(axis=0))
    if max(across, down) < _AXIS_MARGIN * min(across, down):
        return None  # no clear lines either way: a photo, a drawing, a table of dots
    lines_run_down = down > across
    level = np.rot90(ink, -1) if lines_run_down else ink  # np.rot90(k=-1): clockwise
    upside_down = is_upside_down(level)
    if upside_down is None:
        return None
    return (90 if lines_run_down else 0) + (180 if upside_down else 0)


def is_upside_down(level: np.ndarray) -> bool | None:
    """Whether a page whose lines run across is upside down.

    Scripts hung from a headline (Devanagari) or rich in ascenders put far more ink above the
    lines' core than below it: when that lean is strong over enough lines it decides, unless
    the classifier is sure of the opposite (then the page is left as it is). Otherwise the
    classifier votes on the longest lines (it knows Latin and CJK print, receipts included).
    """
    bands = line_bands(level)
    above, below = ink_beside_core(level, bands)
    crops = line_crops(level, bands)
    vote = direction_classifier().vote_upside_down(crops) / len(crops) if crops else 0.0
    leaning = max(above, below) >= _STRONG_LEAN * max(1.0, min(above, below))
    if leaning and len(bands) >= _LEANING_LINES:
        # Rules and underlines under receipt lines lean too: a classifier sure of the
        # opposite leaves the page as it is.
        leans_upside_down = below > above
        opposed = vote > 0 if not leans_upside_down else vote < 0
        return None if opposed and abs(vote) >= _OPPOSING_VOTE else leans_upside_down
    if not crops:
        return None
    return None if abs(vote) < _SURE_VOTE else vote > 0


def ink_beside_core(level: np.ndarray, bands: list[tuple[int, int]]) -> tuple[float, float]:
    """Ink above and below each line's core (its rows at least half as inked as its densest)."""
    above = below = 0.0
    for top, bottom in bands:
        profile = level[top:bottom].sum(axis=1).astype(np.float64)
        core = np.flatnonzero(profile >= 0.5 * profile.max())
        above += float(profile[: core[0]].sum())
        below += float(profile[core[-1] + 1 :].sum())
    return above, below


def line_bands(level: np.ndarray) -> list[tuple[int, int]]:
    """The runs of inked rows as tall as a line of text, as [top, bottom) pairs."""
    bands = _bands(level.sum(axis=1) > 0)
    return [band for band in bands if _LINE_HEIGHTS[0] <= band[1] - band[0] <= _LINE_HEIGHTS[1]]


def line_crops(level: np.ndarray, bands: list[tuple[int, int]]) -> list[np.ndarray]:
    """Crops of the longest text lines, each as wide as its ink and at most 8 heights long."""
    crops = []
    for top, bottom in bands:
        columns = np.flatnonzero(level[top:bottom].any(axis=0))
        pad = max(1, (bottom - top) // 4)
        crop = level[max(0, top - pad) : bottom + pad, columns[0] : columns[-1] + 1]
        if crop.mean() <= _MAX_LINE_INK:  # a solid bar or band is no line of text
            crops.append(crop[:, : 8 * crop.shape[0]])
    crops.sort(key=lambda crop: -int(crop.sum()))
    return crops[:_CROPS]


def _bands(has_ink: np.ndarray) -> list[tuple[int, int]]:
    """The runs of rows with ink, as [top, bottom) pairs."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], has_ink.astype(np.int8), [0]))))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _ink(image: Image.Image) -> np.ndarray:
    """The page's dark pixels (Otsu's threshold) on a copy at most `_PROFILE_SIDE` pixels long."""
    gray = image.convert("L")
    gray.thumbnail((_PROFILE_SIDE, _PROFILE_SIDE), Image.Resampling.BOX)
    pixels = np.asarray(gray)
    return pixels < otsu_threshold(pixels)


def otsu_threshold(pixels: np.ndarray) -> int:
    """The gray level that best separates ink from paper (Otsu, 1979); 0 for a flat image."""
    if pixels.size == 0 or pixels.min() == pixels.max():
        return 0  # one gray level: nothing is darker than the paper
    counts = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    levels = np.arange(256)
    weight = np.cumsum(counts)
    mass = np.cumsum(counts * levels)
    total, total_mass = weight[-1], mass[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total_mass * weight - total * mass) ** 2 / (weight * (total - weight))
    return int(np.nanargmax(between[:-1])) + 1


def _alternation(profile: np.ndarray) -> float:
    """How much a projection profile varies over the inked span (its coefficient of variation).

    Across text lines it swings between lines and the paper between them; along the lines,
    summed over many of them, it stays near its mean.
    """
    inked = np.flatnonzero(profile)
    if inked.size == 0:
        return 0.0
    span = profile[inked[0] : inked[-1] + 1].astype(np.float64)
    return float(span.std() / span.mean())


def is_scanned_pdf_page(page: pymupdf.Page) -> bool:
    """A PDF page whose content is mostly one image: a scan, worth judging its orientation."""
    area = abs(page.rect.width * page.rect.height)
    if area == 0:
        return False
    for info in page.get_image_info():
        box = pymupdf.Rect(info["bbox"]) & page.cropbox
        if abs(box.width * box.height) >= _SCAN_COVERAGE * area:
            return True
    return False


class DirectionClassifier:
    """RapidOCR's text-direction classifier (0 or 180 degrees), on one core."""

    def __init__(self) -> None:
        from rapidocr import RapidOCR  # only when used

        # One core: it runs in the render workers, beside the engine that reads the pages.
        engine = RapidOCR(
            params={
                "Global.log_level": "error",
                "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )
        # The classifier alone, as the engine loads it on first use: neither the detection
        # nor the recognition model is loaded.
        self._classifier = engine._load_cls_model()

    def vote_upside_down(self, crops: list[np.ndarray]) -> float:
        """The classifier's confidence-weighted votes: above 0 when most crops read as 180."""
        images = [
            np.repeat(np.where(crop, 0, 255).astype(np.uint8)[..., None], 3, 2) for crop in crops
        ]
        labels = self._classifier(images).cls_res
        return sum(score if label == "180" else -score for label, score in labels)


_CLASSIFIER: DirectionClassifier | None = None


_CLASSIFIER_LOCK = threading.Lock()


def direction_classifier() -> DirectionClassifier:
    """This process's classifier, loaded by its first caller."""
    global _CLASSIFIER
    with _CLASSIFIER_LOCK:
        if _CLASSIFIER is None:
            _CLASSIFIER = DirectionClassifier()
        return _CLASSIFIER
