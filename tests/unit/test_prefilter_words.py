"""The prefilter's case-blind word search finds what ``re.IGNORECASE`` finds.

``prefilter._Words`` lower-cases the text and searches it with a case-sensitive
expression (several times quicker than ``re.IGNORECASE``, most of all for text that is
not ASCII). That is exact only if lower-casing, after the few characters in
``_ASCII_FOLDS``, matches an ASCII letter exactly where ``re.IGNORECASE`` does, and
changes no character's class: these tests sweep every code point for it, then compare
the searches themselves on generated subjects.
"""

from __future__ import annotations

import random
import re
import string

import pytest

from thankful.core import prefilter
from thankful.core.prefilter import _ASCII_FOLDS

_LETTER = re.compile("[a-z]", re.IGNORECASE)
_WORD = re.compile(r"\w")


def _fold(text: str) -> str:
    return text.translate(_ASCII_FOLDS).lower()


def test_lower_casing_meets_an_ascii_letter_exactly_where_ignorecase_does() -> None:
    matched = []
    for cp in range(0x80, 0x110000):
        c = chr(cp)
        folded = _fold(c)
        assert len(folded) == 1, f"U+{cp:04X} lower-cases to {len(folded)} characters"
        if _LETTER.fullmatch(c):
            matched.append(c)
            assert folded in string.ascii_lowercase, f"U+{cp:04X}"
            assert [p for p in string.ascii_lowercase if re.fullmatch(p, c, re.IGNORECASE)] \
                == [folded], f"U+{cp:04X}"
        else:
            assert not folded.isascii(), f"U+{cp:04X} lower-cases to {folded!r}"
        assert bool(_WORD.match(c)) == bool(_WORD.match(folded)), f"U+{cp:04X}"
    assert sorted(matched) == ["\u0130", "\u0131", "\u017f", "\u212a"]


_WORDS = [prefilter._CUES, prefilter._BULK_CUES]
_CUE_WORDS = ["interview", "intro", "introduce", "offer", "follow-up", "follow up", "next step",
              "screening", "your visit", "position", "candidate", "job offer", "role", "hire"]
_ODD = "\u0130\u0131\u017f\u212a\u03a3\u00e9\u00df\u00c9\u4e2d \t-_.,:!0123456789\u0301"


@pytest.mark.parametrize("seed", range(3))
def test_the_word_search_finds_what_ignorecase_finds(seed: int) -> None:
    rng = random.Random(seed)
    # The oracle: each pattern as first written (\bintro), searched with re.IGNORECASE.
    assert all(r"i(?<=\bi)ntro\b" in w._exact.pattern for w in _WORDS)
    blind = [re.compile(w._exact.pattern.replace(r"i(?<=\bi)ntro", r"\bintro"), re.IGNORECASE)
             for w in _WORDS]
    found = 0
    for _ in range(4000):
        parts = []
        for _ in range(rng.randrange(1, 6)):
            word = rng.choice(_CUE_WORDS)
            # Random case, and now and then a letter that folds to it (İ, ı, ſ, K).
            word = "".join(rng.choice([ch, ch.upper()]) for ch in word)
            word = word.replace("i", rng.choice(["i", "\u0130", "\u0131", "I"]))
            word = word.replace("s", rng.choice(["s", "\u017f", "S"]))
            parts.append(word)
            parts.append("".join(rng.choice(_ODD + "abcxyz") for _ in range(rng.randrange(0, 4))))
        text = "".join(parts)
        for words, oracle in zip(_WORDS, blind, strict=True):
            got = words.search(text)
            assert bool(got) == bool(oracle.search(text)), (text, oracle.pattern[:40])
            found += got is not None
    assert found > 1000  # the searches did find words, not only miss them


def test_the_word_search_takes_only_lower_case_ascii_patterns() -> None:
    with pytest.raises(ValueError, match="lower-case ASCII"):
        prefilter._Words("Interview")
    with pytest.raises(ValueError, match="lower-case ASCII"):
        prefilter._Words("entrevue|r\u00e9sum\u00e9")
