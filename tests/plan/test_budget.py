"""Token arithmetic and request packing: the endpoints.md table, then properties with hypothesis."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.errors import PageDoesNotFitError
from extractors.options import BudgetOptions
from extractors.plan.chunking import plan_chunks, split_chunk
from extractors.plan.profiles.gemma import FixedGridProfile
from extractors.plan.profiles.llava import CentreCropProfile
from extractors.plan.profiles.ocr_engine import OcrEngineProfile
from extractors.plan.profiles.openai import OpenAITileProfile
from extractors.plan.profiles.pixtral import PixtralProfile
from extractors.plan.profiles.qwen import QwenProfile
from extractors.plan.profiles.registry import PROFILES, get_profile, infer_profile
from extractors.plan.sizing import size_page
from extractors.records import IMAGE_LABEL_TOKENS, ChunkPlan, PlannedPage

LETTER_150_DPI = (1275, 1650)
QWEN_FULL = QwenProfile(max_pixels=12_845_056)  # the processor's default, as in the table

# Every profile, plus Qwen at the processor's default max_pixels (the table's setting).
ALL_PROFILES = [*PROFILES.values(), QWEN_FULL]
PROFILE_IDS = [*PROFILES, "qwen2.5-vl-full"]

SIDES = st.integers(min_value=1, max_value=20_000)


# --- the table of endpoints.md ----------------------------------------------------------------


def test_pixtral_square_page_costs_4160_tokens():
    profile = PixtralProfile()
    assert profile.fit(1024, 1024) == (1024, 1024)
    assert profile.image_tokens(1024, 1024) == 64 * 65 == 4160


def test_pixtral_letter_page_is_shrunk_to_791x1024_and_costs_3264_tokens():
    profile = PixtralProfile()
    assert profile.fit(*LETTER_150_DPI) == (791, 1024)
    assert profile.image_tokens(*LETTER_150_DPI) == 3264
    assert profile.image_tokens(791, 1024) == 3264


def test_pixtral_never_upscales_small_images():
    profile = PixtralProfile()
    assert profile.fit(100, 50) == (100, 50)
    assert profile.image_tokens(100, 50) == 4 * (7 + 1)  # rows=ceil(50/16), cols=ceil(100/16)


def test_qwen_at_default_processor_max_pixels_matches_the_table():
    assert QWEN_FULL.image_tokens(1024, 1024) == 37 * 37 + 2 == 1371
    assert QWEN_FULL.image_tokens(*LETTER_150_DPI) == 46 * 59 + 2 == 2716


def test_qwen_document_default_caps_the_pixels():
    profile = QwenProfile()
    tokens = profile.image_tokens(2550, 3300)  # letter at 300 DPI
    assert tokens <= 1280 + 2
    w, h = profile.fit(2550, 3300)
    assert w % 28 == 0 and h % 28 == 0
    assert w * h <= profile.max_pixels


def test_qwen_small_image_is_scaled_up_to_min_pixels_for_its_cost():
    profile = QwenProfile()
    assert profile.image_tokens(10, 10) == 4 + 2  # 56x56 after the min_pixels upscale
    assert profile.fit(10, 10) == (10, 10)  # but nothing larger is worth sending


@pytest.mark.parametrize("size", [(1024, 1024), LETTER_150_DPI, (10, 10), (20_000, 300)])
def test_gemma3_costs_258_tokens_whatever_the_size(size):
    profile = FixedGridProfile()
    assert profile.image_tokens(*size) == 258
    w, h = profile.fit(*size)
    assert w <= 896 and h <= 896


@pytest.mark.parametrize("size", [(1024, 1024), LETTER_150_DPI, (50, 40)])
def test_llava_costs_576_tokens_and_pads_to_square(size):
    profile = CentreCropProfile()
    assert profile.image_tokens(*size) == 576
    assert profile.pad_to_square is True
    assert max(profile.fit(*size)) <= 336


def test_llava_letter_page_keeps_its_aspect_within_336_and_is_padded_when_rendered():
    page = size_page(1, *LETTER_150_DPI, CentreCropProfile(), 100_000)
    assert (page.width, page.height) == (260, 336)  # padded to 336x336 by the renderer
    assert page.image_tokens == 576


def test_only_llava_pads_to_square():
    assert [p.name for p in PROFILES.values() if p.pad_to_square] == ["llava-1.5"]


def test_openai_tiles_match_the_table():
    profile = OpenAITileProfile()
    assert profile.fit(1024, 1024) == (768, 768)
    assert profile.image_tokens(1024, 1024) == 85 + 170 * 4 == 765
    assert profile.fit(*LETTER_150_DPI) == (768, 994)
    assert profile.image_tokens(*LETTER_150_DPI) == 765


def test_openai_fits_2048_box_before_the_short_side():
    profile = OpenAITileProfile()
    # 4096x8192 -> 1024x2048 -> short side 768: 768x1536, 2x3 tiles
    assert profile.fit(4096, 8192) == (768, 1536)
    assert profile.image_tokens(4096, 8192) == 85 + 170 * 6


def test_ocr_engine_caps_pixels():
    profile = OcrEngineProfile()
    w, h = profile.fit(2550, 3300)
    assert w * h <= profile.max_pixels
    assert profile.fit(300, 400) == (300, 400)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("pixtral-12b-2409", "pixtral"),
        ("mistral/pixtral-12b-2409:bf16", "pixtral"),
        ("mistral-small-3.1-24b-instruct-2503", "pixtral"),
        ("Qwen/Qwen2.5-VL-7B-Instruct", "qwen2.5-vl"),
        ("qwen2.5vl:7b", "qwen2.5-vl"),
        ("gemma3:12b", "gemma3"),
        ("google/gemma-3-27b-it", "gemma3"),
        ("llava-1.5-7b-hf", "llava-1.5"),
        ("llava-v1.6-mistral-7b", "llava-1.5"),  # llava wins over the mistral hint
        ("gpt-4o", "openai"),
        ("gpt-4.1-mini", "openai"),
        ("o4-mini", "openai"),
        ("some-unknown-vlm", "pixtral"),
    ],
)
def test_infer_profile(model, expected):
    assert infer_profile(model) == expected
    assert infer_profile(model) in PROFILES


def test_infer_profile_default_is_used_for_unknown_models():
    assert infer_profile("some-unknown-vlm", default="local-ocr") == "local-ocr"
    assert infer_profile("gpt-4o", default="local-ocr") == "openai"


def test_get_profile():
    assert get_profile("pixtral") == PixtralProfile()
    with pytest.raises(ValueError, match="unknown token profile 'nope'"):
        get_profile("nope")


# --- properties -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "profile",
    [p for p in ALL_PROFILES if not isinstance(p, QwenProfile)],
    ids=[
        i for i, p in zip(PROFILE_IDS, ALL_PROFILES, strict=True) if not isinstance(p, QwenProfile)
    ],
)
@settings(max_examples=300, deadline=None)
@given(width=SIDES, height=SIDES)
def test_fit_never_enlarges_either_side(profile, width, height):
    w, h = profile.fit(width, height)
    assert 1 <= w <= width
    assert 1 <= h <= height


@pytest.mark.parametrize("profile", [QwenProfile(), QWEN_FULL], ids=["default", "full"])
@settings(max_examples=300, deadline=None)
@given(width=SIDES, height=SIDES)
def test_qwen_fit_never_grows_the_area(profile, width, height):
    w, h = profile.fit(width, height)
    assert w >= 1 and h >= 1
    assert w * h <= width * height


@pytest.mark.parametrize(
    ("profile", "size"),
    [(QwenProfile(), (29, 190)), (QWEN_FULL, (1023, 1022))],
    ids=["default-29x190", "full-1023x1022"],
)
def test_qwen_fit_never_enlarges_either_side(profile, size):
    w, h = profile.fit(*size)
    assert w <= size[0] and h <= size[1]


@pytest.mark.parametrize("profile", ALL_PROFILES, ids=PROFILE_IDS)
@settings(max_examples=300, deadline=None)
@given(width=SIDES, height=SIDES)
def test_sending_the_fitted_size_costs_the_same(profile, width, height):
    # The model resizes the fitted image exactly as it would the original one.
    assert profile.image_tokens(*profile.fit(width, height)) == profile.image_tokens(width, height)


@pytest.mark.parametrize("profile", ALL_PROFILES, ids=PROFILE_IDS)
@settings(max_examples=300, deadline=None)
@given(width=SIDES, height=SIDES, budget=st.integers(min_value=-100, max_value=20_000))
def test_size_page_fits_the_budget_or_raises(profile, width, height, budget):
    fit_w, fit_h = profile.fit(width, height)
    try:
        page = size_page(7, width, height, profile, budget)
    except PageDoesNotFitError as exc:
        assert "page 7" in str(exc)
        # it only gives up when even the smallest image is over budget
        assert profile.image_tokens(1, 1) + IMAGE_LABEL_TOKENS > budget
        return
    assert page.page == 7
    assert page.image_tokens + IMAGE_LABEL_TOKENS <= budget
    assert page.image_tokens == profile.image_tokens(page.width, page.height)
    assert 1 <= page.width <= fit_w
    assert 1 <= page.height <= fit_h
    if profile.image_tokens(fit_w, fit_h) + IMAGE_LABEL_TOKENS <= budget:
        assert (page.width, page.height) == (fit_w, fit_h)  # no needless shrinking


def test_size_page_shrinks_a_pixtral_page_to_fit_a_small_budget():
    page = size_page(1, *LETTER_150_DPI, PixtralProfile(), 1_000)
    assert page.image_tokens + IMAGE_LABEL_TOKENS <= 1_000
    assert page.width < 791 and page.height < 1024
    # roughly the letter aspect ratio is kept
    assert abs(page.width / page.height - 1275 / 1650) < 0.05


def test_size_page_raises_when_nothing_fits():
    with pytest.raises(PageDoesNotFitError, match="page 3"):
        size_page(3, *LETTER_150_DPI, FixedGridProfile(), 200)


def test_size_page_treats_zero_sides_as_one():
    page = size_page(1, 0, 0, PixtralProfile(), 10_000)
    assert (page.width, page.height) == (1, 1)


PAGE_TOKENS = st.integers(min_value=0, max_value=40_000)
OPTIONS = st.builds(
    BudgetOptions,
    max_images=st.integers(min_value=1, max_value=20),
    context_tokens=st.integers(min_value=1_000, max_value=200_000),
    max_output_tokens=st.integers(min_value=0, max_value=40_000),
    prompt_tokens=st.integers(min_value=0, max_value=3_000),
    output_tokens_per_image=st.integers(min_value=0, max_value=4_096),
)


def _pages(tokens: list[int]) -> list[PlannedPage]:
    return [PlannedPage(i, 100 + i, 200, t) for i, t in enumerate(tokens, start=1)]


@settings(max_examples=300, deadline=None)
@given(tokens=st.lists(PAGE_TOKENS, max_size=60), options=OPTIONS)
def test_plan_chunks_keeps_every_page_once_in_order_within_limits(tokens, options):
    pages = _pages(tokens)
    chunks = plan_chunks(pages, options)
    flat = [p for chunk in chunks for p in chunk.pages]
    assert flat == pages  # same order, nothing lost, nothing duplicated
    assert all(chunk.pages for chunk in chunks)
    each_fits = all(t + IMAGE_LABEL_TOKENS <= options.image_budget for t in tokens)
    for chunk in chunks:
        assert len(chunk.pages) <= options.images_per_request
        assert chunk.image_tokens == sum(p.image_tokens + IMAGE_LABEL_TOKENS for p in chunk.pages)
        if each_fits:
            assert chunk.image_tokens <= options.image_budget
        elif chunk.image_tokens > options.image_budget:
            assert len(chunk.pages) == 1  # an oversized page travels alone
    # greedy: a chunk is closed only when the next page would not have fitted in it
    for chunk, following in itertools.pairwise(chunks):
        nxt = following.pages[0]
        assert (
            len(chunk.pages) == options.images_per_request
            or chunk.image_tokens + nxt.image_tokens + IMAGE_LABEL_TOKENS > options.image_budget
        )


@settings(max_examples=300, deadline=None)
@given(options=OPTIONS)
def test_images_per_request_respects_the_output_room(options):
    n = options.images_per_request
    assert 1 <= n <= options.max_images
    by_output = options.max_output_tokens // max(1, options.output_tokens_per_image)
    assert n <= max(1, by_output)
    if by_output >= 1:
        assert n * max(1, options.output_tokens_per_image) <= options.max_output_tokens


def test_plan_chunks_of_nothing_is_nothing():
    assert plan_chunks([], BudgetOptions()) == []


@settings(max_examples=200, deadline=None)
@given(tokens=st.lists(PAGE_TOKENS, min_size=0, max_size=30))
def test_split_chunk_halves_in_order(tokens):
    chunk = ChunkPlan(tuple(_pages(tokens)))
    parts = split_chunk(chunk)
    if len(tokens) <= 1:
        assert parts == [chunk]
        return
    assert len(parts) == 2
    first, second = parts
    assert len(first.pages) == len(tokens) // 2
    assert len(second.pages) == len(tokens) - len(tokens) // 2
    assert first.pages + second.pages == chunk.pages


# --- a concrete packing case ------------------------------------------------------------------


def _letter_pages(n: int) -> list[PlannedPage]:
    pages = [size_page(i, *LETTER_150_DPI, PixtralProfile(), 100_000) for i in range(1, n + 1)]
    assert {p.image_tokens for p in pages} == {3264}
    return pages


def test_thirty_letter_pages_pack_twelve_per_request_by_default():
    options = BudgetOptions()
    assert options.max_images == 12
    assert options.image_budget == 128_000 - 600 - 16_384
    chunks = plan_chunks(_letter_pages(30), options)
    assert [len(c.pages) for c in chunks] == [12, 12, 6]
    assert [p.page for c in chunks for p in c.pages] == list(range(1, 31))
    assert chunks[0].image_tokens == 12 * (3264 + IMAGE_LABEL_TOKENS)


def test_small_output_room_limits_pages_per_request():
    # 2000 output tokens leave room for one 1024-token answer per request
    options = BudgetOptions(context_tokens=20_000, max_output_tokens=2_000)
    assert options.images_per_request == 1
    chunks = plan_chunks(_letter_pages(30), options)
    assert [len(c.pages) for c in chunks] == [1] * 30
    assert all(c.image_tokens <= options.image_budget for c in chunks)


def test_small_context_limits_pages_per_request():
    # 20k context: 17 400 tokens for images, i.e. 5 letter pages (5 * 3272 = 16 360)
    options = BudgetOptions(
        context_tokens=20_000, max_output_tokens=2_000, output_tokens_per_image=256
    )
    assert options.image_budget == 17_400
    assert options.images_per_request == 7
    chunks = plan_chunks(_letter_pages(30), options)
    assert [len(c.pages) for c in chunks] == [5] * 6
    assert all(c.image_tokens <= options.image_budget for c in chunks)
    assert [p.page for c in chunks for p in c.pages] == list(range(1, 31))
