"""Text folding against obfuscation, then tokens: matching is on whole tokens, never substrings.

Folding, one whitespace-separated chunk at a time (so every token knows where it was written):
NFKC; zero-width and bidi controls removed; styled, fullwidth, enclosed, small-caps and look-alike
letters (Unicode TR39 confusables: Cyrillic and Greek homoglyphs...) folded to plain lowercase by
decancer, a maintained Rust library; Arabic kept as Arabic (decancer would transliterate it) with
its diacritics, tatweel and letter variants normalised. Then tokens: runs of letters and digits;
common leetspeak undone inside words that mix letters and digits or symbols (p0rn, $ex, fr33);
runs of three or more single letters joined ("f r e e", "s.e.x"), a wider gap ending a word.
Sussex stays "sussex": no token is ever searched inside another.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import decancer_py

_INVISIBLE = dict.fromkeys(
    map(ord, "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c"
             "\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u3164\ufeff\uffa0")
)  # fmt: skip
_CHUNK = re.compile(r"\S+")
_ARABIC_RUN = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefe]+")
_ARABIC_DIACRITICS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
# Letters, digits and the marks that belong to them: Python's \w leaves out combining marks, which
# Indic and Thai words are full of (मुफ्त, ดูบอล); dandas and Thai signs of punctuation are not words.
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0900-\u0963\u0966-\u0dff"
    "\u0e00-\u0e4e\u0e50-\u0eff\u1000-\u109f\u1780-\u17ff\u3099\u309a"
)
_TOKEN = re.compile(f"(?:[^\\W_]|[{_MARKS}])+")
_SYMBOLS = re.compile(f"[^\\x00-\\x7f\\w\\s{_MARKS}]")
_LEET_DIGITS = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"})
# Inside a word @ $ ! stand for letters (p@rn, s3x!); "$" also at its start ($ex). A leading "@" is a mention.
_LEET_SYMBOLS = re.compile(r"(?<=[a-z])[@$!](?=[a-z])|(?<![\w@$])\$(?=[a-z])")
_SYMBOL_LETTERS = {"@": "a", "$": "s", "!": "i"}
_EDGE_PUNCTUATION = "\"'“”‘’«»()[]{}<>.,;:!?¡¿…-–—#*_~|/\\"
MIN_SPACED_LETTERS = 3
_VOWELS = frozenset("aeiouy")
_L_CLUSTER = frozenset("bcfgkps")
_HOMOGLYPH_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})
# Letters of Cyrillic and Greek drawn like Latin ones, by shape (capitals apart: Greek Ν is N, ν is v).
_TO_LATIN = str.maketrans(
    "АВЕЅІЈКМНОРСТУХаеѕіјорсхуԁһӏԛԝүвкмнт"
    "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧαεικνορτυχ",
    "abesijkmhopctyxaesijopcxydhlqwybkmht"
    "abezhikmnoptyxaeikvoptux",
)  # fmt: skip
_LATIN_TO_CYRILLIC = str.maketrans("aeopcxyk", "аеорсхук")
_TO_LATIN_KEYS = frozenset(map(chr, _TO_LATIN))
_LATIN_TO_CYRILLIC_KEYS = frozenset("aeopcxyk")


@dataclass(frozen=True, slots=True)
class Tokens:
    """The folded words of a text, and for each the span of the original text it came from."""

    text: str
    words: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]

    def as_written(self, first: int, last: int, limit: int = 80) -> str:
        """The original text of words `first`..`last` (inclusive), outer punctuation trimmed."""
        written = self.text[self.spans[first][0] : self.spans[last][1]].strip(_EDGE_PUNCTUATION)
        return written[:limit]


@lru_cache(maxsize=4096)
def tokenise(text: str) -> Tokens:
    """Tokens of `text` with their spans; see the module docstring for what folding undoes.

    Cached: the rules and the model both read the same post and bio."""
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    run: list[tuple[str, tuple[int, int]]] = []  # single letters waiting to be joined
    last_end = -1
    for chunk in _CHUNK.finditer(text):
        if run and text.count(" ", last_end, chunk.start()) + text.count("\n", last_end, chunk.start()) > 1:
            _flush(run, words, spans)
        span = chunk.span()
        last_end = span[1]
        for word in fold_chunk(chunk.group()):
            if len(word) == 1 and word.isalpha():
                run.append((word, span))
                continue
            if run:
                _flush(run, words, spans)
            words.append(word)
            spans.append(span)
    if run:
        _flush(run, words, spans)
    return Tokens(text, tuple(words), tuple(spans))


def _flush(run: list[tuple[str, tuple[int, int]]], words: list[str], spans: list[tuple[int, int]]) -> None:
    if len(run) >= MIN_SPACED_LETTERS:
        words.append("".join(word for word, _ in run))
        spans.append((run[0][1][0], run[-1][1][1]))
    else:
        for word, span in run:
            words.append(word)
            spans.append(span)
    run.clear()


def tokens(text: str) -> list[str]:
    """Just the folded words of `text` (rules are compiled from these)."""
    return list(tokenise(text).words)


@lru_cache(maxsize=65536)
def fold_chunk(chunk: str) -> tuple[str, ...]:
    """The folded tokens of one whitespace-free chunk. Cached: spam and appeals reuse their words."""
    found = []
    for raw in _TOKEN.findall(fold(chunk)):
        mixed = not raw.isdigit() and any(c.isdigit() for c in raw) and any(c.isalpha() for c in raw)
        found.append(_unleet(raw) if mixed else raw)
    return tuple(found)


def _unleet(word: str) -> str:
    """Digits that stand for letters, read in context: "1" is "l" next to another l ("fu11"), after a
    consonant that takes an l ("p1ay", "s1ut") or opening a word before a vowel ("1ive"), else "i"."""
    letters = list(word)
    for index, char in enumerate(letters):
        if char != "1":
            letters[index] = char.translate(_LEET_DIGITS)
            continue
        before = word[index - 1] if index else ""
        after = word[index + 1] if index + 1 < len(word) else ""
        as_l = (
            "l" in (before, after)
            or "1" in (before, after)
            or (after in _VOWELS and (before in _L_CLUSTER or not before))
        )
        letters[index] = "l" if as_l else "i"
    return "".join(letters)


def fold(text: str) -> str:
    """Plain lowercase text with obfuscation undone; every script kept in its own letters."""
    if not text.isascii():  # ASCII is already NFKC and holds no invisible character
        text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    if text.isascii():
        return _unleet_symbols(text.lower())
    pieces, last = [], 0
    for arabic in _ARABIC_RUN.finditer(text):
        pieces.append(_fold_words(text[last : arabic.start()]))
        pieces.append(_ARABIC_DIACRITICS.sub("", arabic.group()).translate(_ARABIC_LETTERS))
        last = arabic.end()
    pieces.append(_fold_words(text[last:]))
    return "".join(pieces)


def _fold_words(text: str) -> str:
    # Emoji, currency and other symbols separate words (🔴 is not an "o", £ not an "e"); styled
    # letters are no longer symbols once NFKC has run (Ⓕ is already F).
    text = _SYMBOLS.sub(" ", text)
    if text.isascii():
        return _unleet_symbols(text.lower())
    return _TOKEN.sub(lambda m: _fold_word(m.group()), text)


def _unleet_symbols(text: str) -> str:
    """@ $ ! read as the letters they stand for (p@rn, s3x!, $ex): only looked for where one is."""
    if "@" in text or "$" in text or "!" in text:
        return _LEET_SYMBOLS.sub(lambda m: _SYMBOL_LETTERS[m.group()], text)
    return text


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    """One word in its own script. Latin with look-alikes from Cyrillic or Greek ("strеam", "ΟΝLYFANS")
    becomes plain Latin; a Cyrillic word with Latin look-alikes ("пoрно") plain Cyrillic; a word of one
    other script (Порно, Ελλάδα, 免费直播, ดูบอลสด) stays as written, lowercased; styled and accented
    Latin ("ᴏɴʟʏꜰᴀɴꜱ", "grátis") is read by decancer, its accents taken off first (decancer 0.4.1
    reads ó ô õ as p q r: "transmisión" was "transmisipn", apart from "transmision")."""
    if word.isascii():
        return _unleet_symbols(word.lower())
    counts: dict[str, int] = {}
    for char in word:
        if char.isalpha():
            script = _script(char)
            counts[script] = counts.get(script, 0) + 1
    scripts = set(counts)
    if scripts <= {"LATIN"}:
        return str(decancer_py.parse(_without_accents(word).replace("ß", "ss").replace("ẞ", "ss")))
    if scripts <= _HOMOGLYPH_SCRIPTS and "LATIN" in scripts:
        # The script the word can be read in whole wins ("bіо" with a Cyrillic і and о is "bio":
        # b has no Cyrillic twin; "пoрно" with a Latin o is Cyrillic: п has no Latin one); when
        # both or neither can, the letters of the larger count.
        lowered = word.lower()
        as_latin = all(_script(char) == "LATIN" or char in _TO_LATIN_KEYS for char in word if char.isalpha())
        as_cyrillic = "GREEK" not in scripts and all(
            _script(char) != "LATIN" or char in _LATIN_TO_CYRILLIC_KEYS for char in lowered if char.isalpha()
        )
        if as_cyrillic and (not as_latin or counts.get("CYRILLIC", 0) > counts["LATIN"]):
            return lowered.translate(_LATIN_TO_CYRILLIC)
        return str(decancer_py.parse(_without_accents(word.translate(_TO_LATIN))))
    return word.lower()


def _without_accents(word: str) -> str:
    """Latin letters without their combining marks (ó is o, ệ is e); letters that do not decompose
    (ø, ł, đ) are left to decancer."""
    return "".join(char for char in unicodedata.normalize("NFD", word) if not unicodedata.combining(char))


@lru_cache(maxsize=4096)
def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else ""
