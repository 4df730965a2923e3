"""The degenerate-answer checks on texts: loops, refusals, nothing read, another script."""

import pytest

from extractors.answer.degenerate import (
    EMPTY_INK,
    PICTURE_INK,
    Degeneracy,
    page_findings,
    refusal,
    repetition_loop,
    score,
    wrong_script,
)

PROSE = (
    "The quarterly report of the board shows revenue of 1,234.56 EUR, up from last year. "
    "Costs fell in every region but the north, where the new warehouse opened in March."
)


def kinds(text: str, ink: float = 0.05, script: str | None = None, cut: bool = False) -> list[str]:
    return [f.kind.value for f in page_findings(text, ink, script, cut)]


def test_an_honest_page_raises_nothing() -> None:
    assert kinds(PROSE, script="Latin") == []


@pytest.mark.parametrize(
    "text",
    [
        "MARKER 2334 | Total | 0.00 |" + " | Total | 0.00 |" * 40,
        PROSE + " the the the the" * 30,
        PROSE + "\n" + "\n".join(["| Total | 0.00 | 0.00 |"] * 12) + "\nend of page",
        PROSE + "_" * 400,
        # A loop cut mid-phrase at the token limit.
        PROSE + " and the total" * 20 + " and th",
    ],
)
def test_loops_are_caught(text: str) -> None:
    found = repetition_loop(text)
    assert found is not None and found.kind is Degeneracy.LOOP and found.usable
    assert found.doubt.factor == pytest.approx(0.3)


@pytest.mark.parametrize(
    "text",
    [
        PROSE + "\n0 0 0 0 0 0 0 0 0 0 0",  # a table row of zeros
        PROSE + "\nSignature: ______________________",  # a form's blank
        PROSE + " Ha ha ha ha ha ha ha ha ha.",
        "Contents\n" + "\n".join(f"Chapter {n} ........ {n * 7}" for n in range(1, 20)),
        "\n".join(["| | |"] * 30),  # an empty table: no letters, too short for a blank loop
    ],
)
def test_honest_repeats_are_not_loops(text: str) -> None:
    assert repetition_loop(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry, I can't help with that.",
        "I cannot assist with transcribing this document.",
        "As an AI language model, I am not able to read this.",
        "Je suis désolé, je ne peux pas transcrire ce document.",
        "Es tut mir leid, ich kann dabei nicht helfen.",
        "Lo siento, no puedo ayudar con eso.",
        "抱歉，我无法处理这张图片。",
        "I'm sorry, but I can't transcribe this image. " + "It appears to contain text. " * 20,
    ],
)
def test_refusals_are_caught_and_not_usable(text: str) -> None:
    found = refusal(text)
    assert found is not None and not found.usable and "the model refused" in found.detail


@pytest.mark.parametrize(
    "text",
    [
        "I cannot help but notice the rise in costs. " + PROSE * 3,  # long, no apology
        "Dear Sir, I'm sorry for the delay in payment. " + PROSE * 3,
        PROSE,
    ],
)
def test_a_page_that_speaks_of_sorrow_is_not_a_refusal(text: str) -> None:
    assert refusal(text) is None


def test_empty_is_caught_only_for_a_page_with_ink() -> None:
    assert kinds("", ink=0.0) == []  # a blank page
    assert kinds("", ink=EMPTY_INK / 2) == []  # a line or two: left alone
    empty = page_findings(" ... ", 0.04, None)
    assert [f.kind for f in empty] == [Degeneracy.EMPTY] and not empty[0].usable
    picture = page_findings("", PICTURE_INK + 0.1, None)
    assert picture[0].usable and "picture" in picture[0].detail
    assert kinds("EXIT", ink=0.5) == []  # a photo with a little text


def test_wrong_script_needs_the_page_script_and_enough_letters() -> None:
    latin = "Doqoerkaf aeminirsqawif otchet za kvartal, vyruchka vyrosla na desyat procentov"
    found = wrong_script(latin, "Cyrillic")
    assert found is not None and found.detail == "answer in Latin for a page in Cyrillic"
    assert wrong_script(latin, None) is None
    assert wrong_script("Total 12.00", "Cyrillic") is None  # a few letters say nothing
    assert wrong_script("東京都の住所と電話番号はこちらにあります。" * 2, "Han") is None


def test_cut_off_and_score() -> None:
    found = page_findings(PROSE, 0.05, None, cut_off=True)
    assert [f.kind for f in found] == [Degeneracy.CUT_OFF]
    assert score(found) == pytest.approx(0.5)
    assert score(page_findings("", 0.05, None)) == 0.0
    assert score(()) == 1.0
