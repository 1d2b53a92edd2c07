"""The tricks spammers use to slip past word lists, applied at random to a post's words.

Look-alike letters from Cyrillic and Greek, styled letters (bold, script, fullwidth, small caps),
zero-width characters, s p a c e d letters, leet digits and emoji glued between words. Each post
gets two of them, each applied to about half of its words; links are left as they are.
"""

from __future__ import annotations

import random
from collections.abc import Callable

_LOOKALIKES = str.maketrans("aceiopxyAEHKMOPTX", "асеіорхуАЕНКМОРТХ")
_LEET = str.maketrans("aeiostlAEIOSTL", "4310571431057l")
_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
_EMOJI = ("🔥", "👉", "⚡", "💥", "🔴", "✅", "💦", "➡️")
_SMALL_CAPS = str.maketrans("abcdefghijklmnopqrstuvwyz", "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡʏᴢ")
_STYLES = (0x1D400, 0x1D4D0, 0xFF21)  # bold, bold script, fullwidth capitals (lowercase follows)


def _styled(word: str, rng: random.Random) -> str:
    base = rng.choice(_STYLES)
    if base == 0xFF21:
        return "".join(chr(0xFF41 + ord(c) - 97) if "a" <= c <= "z" else c for c in word.lower())
    out = []
    for char in word:
        if "A" <= char <= "Z":
            out.append(chr(base + ord(char) - 65))
        elif "a" <= char <= "z":
            out.append(chr(base + 26 + ord(char) - 97))
        else:
            out.append(char)
    return "".join(out)


def _word_tricks() -> dict[str, Callable[[str, random.Random], str]]:
    return {
        "lookalike": lambda w, r: w.translate(_LOOKALIKES),
        "styled": _styled,
        "small_caps": lambda w, r: w.lower().translate(_SMALL_CAPS),
        "zero_width": lambda w, r: r.choice(_ZERO_WIDTH).join(w),
        "spaced": lambda w, r: " ".join(w) if len(w) <= 8 else w,
        "leet": lambda w, r: w.translate(_LEET),
    }


TRICKS = (*_word_tricks(), "emoji_glue")


def obfuscate(text: str, rng: random.Random) -> str:
    """`text` with two tricks applied to about half of its words (links untouched)."""
    tricks = rng.sample(TRICKS, 2)
    word_tricks = _word_tricks()
    words = text.split(" ")
    for trick in tricks:
        for index, word in enumerate(words):
            if "://" in word or "." in word.strip(".,!?") or not word or rng.random() < 0.5:
                continue
            if trick == "emoji_glue":
                if index + 1 < len(words):
                    words[index] = word + rng.choice(_EMOJI)
            else:
                words[index] = word_tricks[trick](word, rng)
    joined = []
    for index, word in enumerate(words):
        joined.append(word)
        glued = "emoji_glue" in tricks and word and word[-1] in "".join(_EMOJI) and index + 1 < len(words)
        if not glued and index + 1 < len(words):
            joined.append(" ")
    return "".join(joined)
