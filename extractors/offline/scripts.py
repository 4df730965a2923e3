"""Which writing systems the embedded engine's recogniser can read, from its own alphabet.

The recogniser inside the rapidocr wheel (PP-OCRv6, Chinese family) carries the symbols it can
output in its ONNX metadata (`character`): 18,708 of them, CJK, Latin, kana and a little Greek,
but no Cyrillic, Arabic, Thai, Devanagari or Hangul (../shared/docs/trust.md section 3). A page
in a script it has no letters for comes back empty or as Latin look-alikes, with no error: the
engine says so from this table. Reading the metadata opens the model in onnxruntime (~0.1 s),
so it is done once, on first use.
"""

import functools
import importlib.util
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from extractors.load.scripts import letter_script

# A script is read when the alphabet holds this share of its basic letters.
READABLE_SHARE = 0.9

# Each script's basic letters: its main block's letters (the alphabet an ordinary text of it
# needs). Greek's are modern Greek's, accented vowels and final sigma with them: the alphabet
# holds the 48 plain capitals and small letters (mathematics' Greek) but none of the 21 others
# (48/69), and reads "Η συνολική τιμή είναι εκατό" as "συνλι ι εναι εατ". Han and Hangul have
# too many code points for a block to say: their national standard sets' common characters
# stand in (GB 2312 level 1, KS X 1001's syllables).
_BLOCKS: dict[str, tuple[tuple[int, int], ...]] = {
    "Latin": ((0x41, 0x5A), (0x61, 0x7A)),
    "Cyrillic": ((0x401, 0x401), (0x410, 0x44F), (0x451, 0x451)),
    "Greek": ((0x386, 0x3CE),),
    "Armenian": ((0x531, 0x556), (0x561, 0x586)),
    "Hebrew": ((0x5D0, 0x5EA),),
    "Arabic": ((0x621, 0x64A),),
    "Devanagari": ((0x905, 0x939),),
    "Bengali": ((0x985, 0x9B9),),
    "Tamil": ((0xB85, 0xBB9),),
    "Telugu": ((0xC05, 0xC39),),
    "Thai": ((0xE01, 0xE2E),),
    "Georgian": ((0x10D0, 0x10FA),),
    "Japanese": ((0x3041, 0x3093), (0x30A1, 0x30F3)),
}


def engine_reads(script: str | None) -> bool:
    """Whether the installed recogniser can read text in `script` (a name as
    `extractors.load.scripts.letter_script` gives it); True for None (a text without letters
    leaves nothing it could miss)."""
    if script is None:
        return True
    return coverage(script) >= READABLE_SHARE


@functools.cache
def coverage(script: str) -> float:
    """The share of `script`'s basic letters the recogniser's alphabet holds (0 with no model)."""
    basic = basic_letters(script)
    if not basic:
        return 0.0
    return len(basic & recogniser_alphabet()) / len(basic)


@functools.cache
def basic_letters(script: str) -> frozenset[str]:
    """The letters an ordinary text in `script` is written with."""
    if script == "Han":
        return _standard_set("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF))
    if script == "Hangul":
        return _standard_set("euc_kr", range(0xB0, 0xC9), range(0xA1, 0xFF))
    ranges = _BLOCKS.get(script, ((0, 0xFFFF),))  # another script: all its letters in the BMP
    chars = (chr(code) for first, last in ranges for code in range(first, last + 1))
    return frozenset(char for char in chars if letter_script(char) == script)


def _standard_set(codec: str, rows: Iterable[int], cells: range) -> frozenset[str]:
    """The characters a double-byte national standard encodes in `rows` x `cells`."""
    chars = set()
    for row in rows:
        for cell in cells:
            char = bytes((row, cell)).decode(codec, errors="ignore")
            if char:
                chars.add(char)
    return frozenset(chars)


@functools.cache
def recogniser_alphabet() -> frozenset[str]:
    """The symbols the installed recogniser can output (empty when none is installed)."""
    model = recogniser_model()
    if model is None:
        return frozenset()
    # Loaded with rapidocr anyway; not at import, for runs that never OCR. It ships no types.
    import onnxruntime

    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    return frozenset(session.get_modelmeta().custom_metadata_map.get("character", "").split("\n"))


def recogniser_model() -> Path | None:
    """The recognition model the rapidocr wheel ships (the one RapidOCR() loads by default)."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or spec.origin is None:
        return None
    models = sorted((Path(spec.origin).parent / "models").glob("*_rec_*.onnx"))
    return models[0] if models else None


def letters_counts(alphabet: Iterable[str]) -> Counter[str]:
    """Letters per script in an alphabet (benchmarks/engine_scripts.py prints the table)."""
    return Counter(s for s in (letter_script(c) for c in alphabet if len(c) == 1) if s is not None)
