"""Text folding against obfuscation, then tokens: matching is on whole tokens, never substrings.

Folding: NFKC; zero-width characters removed; styled, fullwidth, enclosed, small-caps and
look-alike letters (Unicode TR39 confusables, Cyrillic/Greek homoglyphs) folded to plain lowercase
by decancer (a maintained Rust library); Arabic kept as Arabic (decancer would transliterate it)
with its diacritics and letter variants normalised. Then tokens: words of letters and digits;
common leetspeak undone inside words that mix letters and digits; runs of single letters
("f r e e") joined. Sussex stays "sussex": no token is ever searched inside another.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import decancer_py

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad"))
_ARABIC_RUN = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]+")
_ARABIC_DIACRITICS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
_SYMBOLS = re.compile(r"[^\x00-\x7f\w\s]")  # non-ASCII symbols and punctuation
_WIDE_GAP = re.compile(r"\s{2,}")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"})
_LEET_SYMBOLS = re.compile(r"(?<=[a-z])[@$!](?=[a-z])|(?<=[a-z])[@$](?=\b)|\b[@$](?=[a-z])")
_SYMBOL_LETTERS = {"@": "a", "$": "s", "!": "i"}


def fold(text: str) -> str:
    """Plain lowercase text with obfuscation undone, Arabic preserved."""
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH)
    pieces, last = [], 0
    for arabic in _ARABIC_RUN.finditer(text):
        pieces.append(_fold_latin(text[last : arabic.start()]))
        pieces.append(_fold_arabic(arabic.group()))
        last = arabic.end()
    pieces.append(_fold_latin(text[last:]))
    return "".join(pieces)


@lru_cache(maxsize=4096)
def _fold_latin(text: str) -> str:
    if not text:
        return text
    text = _LEET_SYMBOLS.sub(lambda m: _SYMBOL_LETTERS[m.group()], text.lower())
    # Emoji, currency and other symbols are separators (decancer would read 🔴 as "o", £ as "e");
    # styled letters are not symbols once NFKC has run (Ⓕ is already F).
    if text.isascii():
        return text
    return str(decancer_py.parse(_SYMBOLS.sub(" ", text)))


def _fold_arabic(text: str) -> str:
    return _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC_LETTERS)


def tokens(text: str) -> list[str]:
    """Folded tokens, with leetspeak undone and spaced-out letters joined.

    A gap of two or more spaces separates spaced-out words: "F R E E  S T R E A M" is two words.
    """
    found = []
    for segment in _WIDE_GAP.split(fold(text)):
        words = []
        for raw in _TOKEN.findall(segment):
            leet = not raw.isdigit() and any(c.isdigit() for c in raw) and any(c.isalpha() for c in raw)
            words.append(raw.translate(_LEET) if leet else raw)
        found.extend(_join_spaced_letters(words))
    return found


def _join_spaced_letters(words: list[str]) -> list[str]:
    joined, run = [], []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if len(run) >= 3:
            joined.append("".join(run))
        else:
            joined.extend(run)
        run = []
        if word:
            joined.append(word)
    return joined
