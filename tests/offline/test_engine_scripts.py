"""Which scripts the embedded engine reads, from its recogniser's own alphabet."""

from extractors.offline.scripts import (
    READABLE_SHARE,
    basic_letters,
    coverage,
    engine_reads,
    recogniser_alphabet,
)


def test_the_recogniser_reads_latin_and_chinese_but_not_cyrillic() -> None:
    assert engine_reads("Latin") and engine_reads("Han") and engine_reads("Japanese")
    assert not engine_reads("Cyrillic")
    assert [coverage(s) for s in ("Cyrillic", "Arabic", "Thai", "Hangul")] == [0.0] * 4


def test_greek_is_not_read_for_want_of_its_accented_letters() -> None:
    # The alphabet has the plain Greek letters (mathematics') but not modern Greek's tonos.
    assert {"α", "Ω"} <= recogniser_alphabet() and "ή" not in recogniser_alphabet()
    assert 0.5 < coverage("Greek") < READABLE_SHARE
    assert not engine_reads("Greek")


def test_a_text_without_letters_leaves_nothing_unread() -> None:
    assert engine_reads(None)


def test_basic_letters_are_the_scripts_own() -> None:
    assert len(basic_letters("Latin")) == 52
    assert len(basic_letters("Cyrillic")) == 66  # А-я with Ё and ё
    assert len(basic_letters("Han")) == 3755  # GB 2312 level 1
    assert basic_letters("Georgian") and not engine_reads("Georgian")
