"""Degenerate answers for one page: a repetition loop, a refusal, nothing read from a page with
ink, text in a script the page does not have, an answer cut off at its token limit.

Each check gives a `Finding` that knows its warning and what it costs the row (`Doubt`):

- a loop kept (0.3): the text holds the page's start, then one phrase or line over and over;
- a refusal (not usable): no text of the page at all;
- empty for a page with ink (not usable): a failed reading; on a page that is mostly ink (a
  photograph, ink >= `PICTURE_INK`) an empty answer may be right, and costs 0.3 instead;
- a wrong script (0.3): a Latin answer for a Cyrillic page is a transliteration or a guess;
- cut off at the token limit (0.5): the page's text may stop short.

A finding that is not usable makes an error row when asking again gives nothing better.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from extractors.load.scripts import script_counts
from extractors.trust import Doubt


class Degeneracy(StrEnum):
    """What is wrong with a page's answer."""

    LOOP = "loop"
    REFUSAL = "refusal"
    EMPTY = "empty"
    WRONG_SCRIPT = "wrong_script"
    CUT_OFF = "cut_off"


# What a kept answer's confidence is multiplied by, per kind (0 for a kind never kept).
_FACTORS = {
    Degeneracy.LOOP: 0.3,
    Degeneracy.REFUSAL: 0.0,
    Degeneracy.EMPTY: 0.0,
    Degeneracy.WRONG_SCRIPT: 0.3,
    Degeneracy.CUT_OFF: 0.5,
}
# An empty answer for a page this inked is most likely a picture with no text: kept, doubted.
_PICTURE_EMPTY_FACTOR = 0.3
# Names in the note of a re-ask ("asked again after a repetition loop").
_NAMES = {
    Degeneracy.LOOP: "a repetition loop",
    Degeneracy.REFUSAL: "a refusal",
    Degeneracy.EMPTY: "an empty answer",
    Degeneracy.WRONG_SCRIPT: "an answer in another script",
    Degeneracy.CUT_OFF: "an answer cut off at the token limit",
}


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a page's answer, and what it says about it."""

    kind: Degeneracy
    # What was seen, for the warning: the phrase repeated, the refusal's words...
    detail: str
    factor: float

    @property
    def usable(self) -> bool:
        """Whether the answer may still be a row's text (with this finding as a warning)."""
        return self.factor > 0.0

    @property
    def doubt(self) -> Doubt:
        return Doubt(self.detail, self.factor)

    @property
    def name(self) -> str:
        return _NAMES[self.kind]


def finding(kind: Degeneracy, detail: str) -> Finding:
    return Finding(kind, detail, _FACTORS[kind])


def score(findings: tuple[Finding, ...]) -> float:
    """How good an answer is from its findings: 1 with none, 0 when one makes it unusable."""
    value = 1.0
    for found in findings:
        value *= found.factor
    return value


def page_findings(
    text: str, ink: float, page_script: str | None, cut_off: bool = False
) -> tuple[Finding, ...]:
    """Every finding about one page's answer `text` (its image's `ink` share, its text layer's
    script when known, whether the answer ran into its token limit)."""
    found = [
        repetition_loop(text),
        refusal(text),
        empty_with_ink(text, ink),
        wrong_script(text, page_script),
        finding(Degeneracy.CUT_OFF, "answer cut off at the output token limit")
        if cut_off
        else None,
    ]
    return tuple(f for f in found if f is not None)


# --- repetition loops ---------------------------------------------------------------------

# chandra's rule (../shared/docs/trust.md section 4): the last L characters (L = 1..250)
# repeated back to back more than int(4 * (1 + 3 / L)) times, checked on the text and on the
# text without its last 50 characters (a loop cut mid-phrase).
_MAX_UNIT = 250
_CUT_TAIL = 50
# An honest text can end in a few repeats ("0 0 0 0 0 0 0 0 0 0 0" in a table, a signature
# line "______"): a loop must also span this many characters, and a unit with no letter or
# digit (dots, rules) far more, since a form's blanks are long lines of them.
_MIN_LOOP_SPAN = 60
_MIN_BLANK_LOOP_SPAN = 200
# The same line (at least 8 characters, with a letter or digit) this many times in a row: a
# table row repeated without end, whatever follows it.
_LINE_RUN = 8
_MIN_LINE_CHARS = 8


def repetition_loop(text: str) -> Finding | None:
    """A phrase repeated at the end of the text, or one line repeated many times in a row."""
    flat = " ".join(text.split())
    unit = _tail_repeat(flat) or _tail_repeat(flat[:-_CUT_TAIL]) or _line_run(text)
    if unit is None:
        return None
    shown = unit.strip()[:40]
    return finding(Degeneracy.LOOP, f"repetition loop: {shown!r} repeated")


def _tail_repeat(text: str) -> str | None:
    """The unit the text ends repeating, if it repeats past chandra's threshold."""
    for length in range(1, min(_MAX_UNIT, len(text) // 2) + 1):
        unit = text[-length:]
        copies = _copies_at_end(text, unit)
        if copies <= int(4 * (1 + 3 / length)):
            continue
        has_word = any(c.isalnum() for c in unit)
        if copies * length >= (_MIN_LOOP_SPAN if has_word else _MIN_BLANK_LOOP_SPAN):
            return unit
    return None


def _copies_at_end(text: str, unit: str) -> int:
    copies, end = 0, len(text)
    while end >= len(unit) and text[end - len(unit) : end] == unit:
        copies += 1
        end -= len(unit)
    return copies


def _line_run(text: str) -> str | None:
    """A line (with a letter or digit) repeated `_LINE_RUN` times or more in a row."""
    run, previous = 0, None
    for line in (line.strip() for line in text.splitlines()):
        run = run + 1 if line == previous else 1
        previous = line
        long_enough = len(line) >= _MIN_LINE_CHARS and any(c.isalnum() for c in line)
        if run >= _LINE_RUN and long_enough:
            return line
    return None


# --- refusals ------------------------------------------------------------------------------

# A refusal's core, in English and a few common languages: "I can't help", "I cannot
# assist", "As an AI"... Matched in a short answer anywhere, in a long one only at its start
# after an apology (a letter may well begin "I cannot help but notice").
_APOSTROPHE = "['\u2019]"
_CORE = re.compile(
    r"\bI(?: am|" + _APOSTROPHE + r"m)? ?(?:can" + _APOSTROPHE + r"?t|cannot|can not|"
    r"unable to|not able to|won" + _APOSTROPHE + r"t)\b.{0,60}?\b(?:help|assist|provide|"
    r"transcribe|process|comply|fulfil|extract|read|identify|do that|share)"
    r"|\bas an AI\b"
    r"|\bje ne (?:peux|suis pas en mesure)\b"
    r"|\bich kann (?:\w+ ){0,3}?nicht\b"
    r"|\bno puedo (?:ayudar|proporcionar|transcribir|procesar)"
    r"|\bnon posso (?:aiutar|fornire|trascrivere|elaborare)"
    r"|\bn[aã]o posso (?:ajudar|fornecer|transcrever|processar)"
    r"|(?:抱歉|对不起|很遗憾).{0,10}(?:无法|不能)",
    re.IGNORECASE | re.DOTALL,
)
_APOLOGY = re.compile(
    r"^\W*(?:I(?: am|" + _APOSTROPHE + r"m)? sorry|sorry|unfortunately|je suis d[ée]sol[ée]|"
    r"d[ée]sol[ée]|es tut mir leid|leider|lo siento|mi dispiace|desculpe|抱歉|对不起)",
    re.IGNORECASE,
)
# An answer this short is all refusal if it holds one; a longer one must start with it.
_SHORT_ANSWER = 400
_OPENING = 200


def refusal(text: str) -> Finding | None:
    """A model saying it will not or cannot read the page."""
    stripped = text.strip()
    if len(stripped) <= _SHORT_ANSWER:
        match = _CORE.search(stripped)
    elif _APOLOGY.match(stripped):
        match = _CORE.search(stripped[:_OPENING])
    else:
        match = None
    if match is None:
        return None
    sentence = stripped[: max(match.end(), 80)].split("\n", 1)[0][:80]
    return finding(Degeneracy.REFUSAL, f"the model refused ({sentence!r})")


# A document answer that says what the document is not, and why: the embedded engine's
# answer to a letter sent as a receipt ("not a receipt: 40 of 104 lines are running text",
# extractors/offline/receipts/fields.py), or a model's saying the same.
_NOT_A_KIND = re.compile(r"not an? [^\W\d_][\w -]{0,40}: *\S", re.IGNORECASE)
_MAX_REASON = 300


def document_refusal(text: str) -> str | None:
    """Why an answer with no fields in it refuses its document, in words: its own, when it
    says what the document is not ("not a receipt: ..."), else a model's refusal named as
    one; None when it is no refusal. Asking again with validation errors would not change
    either: the document is what it is."""
    first = text.strip().split("\n", 1)[0].strip()
    if _NOT_A_KIND.match(first):
        return first[:_MAX_REASON]
    found = refusal(text)
    return None if found is None else found.detail


# --- nothing read ---------------------------------------------------------------------------

# Measured with extractors/load/ink.py on pages drawn at 100 dpi: a blank page 0, one line of
# 11 pt text 0.0009, a page number 0.0002, the corpus's text pages 0.0006-0.19, its
# photographs 0.27-0.77. A page past EMPTY_INK has more than a few lines of ink: an answer with
# nothing in it failed (a single line's page is left alone, conservatively); past PICTURE_INK
# it is most likely a picture, where an empty text may be right.
EMPTY_INK = 0.005
PICTURE_INK = 0.3
# Fewer letters and digits than this is "near-empty": "", "...", "-", "N/A"'s two letters.
_NEAR_EMPTY = 3


def empty_with_ink(text: str, ink: float) -> Finding | None:
    """An answer with (almost) nothing in it for a page with ink on it."""
    if sum(c.isalnum() for c in text) >= _NEAR_EMPTY or ink < EMPTY_INK:
        return None
    if ink >= PICTURE_INK:
        detail = f"empty answer for a page mostly ink ({ink:.0%}): a picture without text?"
        return Finding(Degeneracy.EMPTY, detail, _PICTURE_EMPTY_FACTOR)
    return finding(Degeneracy.EMPTY, f"empty answer for a page with ink ({ink:.1%} of it)")


# --- wrong script ------------------------------------------------------------------------------

# Scripts written together: a Japanese page is kana and Han, a Korean one may hold Han.
_KIN = (frozenset({"Han", "Japanese"}), frozenset({"Han", "Hangul"}))
# An answer with this many letters, fewer than this share of them in the page's script.
_MIN_LETTERS = 20
_MIN_SHARE = 0.2


def wrong_script(text: str, page_script: str | None) -> Finding | None:
    """An answer whose letters are mostly in another script than the page's (its text layer's
    script, when that is known)."""
    if page_script is None:
        return None
    counts = script_counts(text)
    letters = sum(counts.values())
    if letters < _MIN_LETTERS:
        return None
    kin = next((group for group in _KIN if page_script in group), frozenset({page_script}))
    share = sum(n for script, n in counts.items() if script in kin) / letters
    if share >= _MIN_SHARE:
        return None
    answer_script = counts.most_common(1)[0][0]
    return finding(
        Degeneracy.WRONG_SCRIPT, f"answer in {answer_script} for a page in {page_script}"
    )
