"""What the learned model reads of a post: named features in four groups, none of them language-bound
except the words.

- text: folded words and word pairs, character 4-grams inside words (so paraphrase, morphology and
  obfuscation carry over), character pairs for scripts written without spaces (Chinese, Japanese,
  Thai...), and emoji;
- link: each link's scheme, public suffix, host shape (an IP, a port, digits, hyphens, length),
  character 4-grams of the site's name, words of its path, raw stream formats written anywhere;
- author: words of the bio and the display name, 4-grams of the handle, account age, followers,
  a default picture, verification;
- signal: X's media flag, the shape of the post (hashtags, capitals,
  money, "18+"), and every rule of the packs that fired and its tags.

Proxies that say more about who wrote a corpus than about a post (its length, its number of links,
retweet or quote, https) are left out: they taught the first model to undo council notices.

Each group's features count 1/sqrt(n) so a long post is not louder than a short one. Links to
trusted domains are read as "trusted" only. FEATURES_VERSION changes whenever what is extracted
changes, so a model trained on other features is refused at load.

Example:
    found = post_features(repost, engine.signals(repost), trusted_domains)
    found.groups["link"]  # ["u:tld:live", "h:_nld", ...]
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from takedown.repost import Repost
from takedown.signatures.engine import Signals
from takedown.signatures.links import parse_link
from takedown.signatures.text import tokenise

FEATURES_VERSION = "f4"
GROUPS = ("text", "link", "author", "signal")
_NGRAM = 4
_NO_SPACE_SCRIPTS = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "THAI", "LAO", "KHMER", "MYANMAR"})
_PATH_WORD = re.compile(r"[^\W_]{3,}|m3u8?|mpd|ts|php")
# Raw stream formats written in the post or its links; one pass finds every kind.
_RAW_FORMATS = re.compile(
    r"(?P<acestream>acestream://)|(?P<sopcast>\bsop://)|(?P<magnet>magnet:\?xt=)|(?P<rtmp>\brtmpe?s?://)"
    r"|(?P<playlist>\.(?:m3u8?|mpd)\b)|(?P<xtream>get\.php\?|username=[^&\s]+&password=|player_api\.php|type=m3u)"
    r"|(?P<ip_port>\b\d{1,3}(?:\.\d{1,3}){3}:\d{2,5}\b)",
    re.I,
)
_RAW_HINTS = ("://", "magnet:", ".m3u", ".mpd", ".php", "password=")  # cheap checks before the full scan
_IP_PORT = re.compile(r"\d\.\d{1,3}:\d")
_EIGHTEEN = re.compile(r"\b1\s*8\s*\+|\+\s*1\s*8\b|🔞")
_MONEY = re.compile(r"[£$€₹₺₽¥₩]\s*\d|\d\s*(?:€|£|\$|usd|eur|gbp|tl|rs|₹)", re.I)
# X's possibly_sensitive flag is left to the rules (where it weighs 0.3): the corpora's writers set
# it on spam only, so the model learnt it as proof and undid a police dog's graduation photo.
_LEFT_TO_THE_RULES = frozenset({"adult.media.possibly_sensitive", "sensitive_media"})
_HASHTAG = re.compile(r"#\w+")
_EMOJI = re.compile("[\u2100-\u2bff\u3000-\u303f\U0001f000-\U0001faff]")
_DAY = 86400


@dataclass(frozen=True, slots=True)
class Features:
    """A post's features by group; `weighted()` gives each its value (1/sqrt of its group's size)."""

    groups: dict[str, list[str]]

    def weighted(self) -> dict[str, float]:
        """Each feature's value: 1/sqrt of the number of distinct features in its group (the groups'
        prefixes never overlap, so a name belongs to one group)."""
        values: dict[str, float] = {}
        for names in self.groups.values():
            unique = dict.fromkeys(names)
            if unique:
                values.update(dict.fromkeys(unique, 1 / math.sqrt(len(unique))))
        return values


def post_features(repost: Repost, signals: Signals, trusted_domains: frozenset[str]) -> Features:
    """The model's view of `repost`, given the rules that fired on it and the domains trusted for it."""
    groups: dict[str, list[str]] = {
        "text": _text_features(repost.text),
        "link": _link_features(repost, trusted_domains),
        "author": _author_features(repost),
        "signal": _signal_features(repost, signals),
    }
    return Features(groups)


def _text_features(text: str) -> list[str]:
    found: list[str] = []
    words = tokenise(text).words
    previous = ""
    for word in words:
        found.append("w:" + word)
        if previous:
            found.append(f"b:{previous}|{word}")
        previous = word
        found.extend(_word_grams(word))
    found.extend("e:" + char for char in _EMOJI.findall(text) if _is_emoji(char))
    return found


@lru_cache(maxsize=65536)
def _word_grams(word: str) -> tuple[str, ...]:
    """4-grams of `_word_` (none for a word of three letters or fewer: its grams would only repeat it),
    or character pairs for a script written without spaces."""
    if len(word) > 1 and _script(word[0]) in _NO_SPACE_SCRIPTS:
        return tuple(f"k:{word[i : i + 2]}" for i in range(len(word) - 1))
    if len(word) < _NGRAM:
        return ()
    padded = f"_{word}_"
    return tuple(f"c:{padded[i : i + _NGRAM]}" for i in range(len(padded) - _NGRAM + 1))


def _link_features(repost: Repost, trusted_domains: frozenset[str]) -> list[str]:
    found: list[str] = []
    for url in repost.urls:
        link = parse_link(url)
        if link is None:
            continue
        if _is_x_media(link.registrable, url):
            found.append("u:x_media")
            continue
        if link.is_under(trusted_domains):
            found.append("u:trusted")
            continue
        if link.scheme not in {"http", "https"}:
            found.append("u:scheme:" + link.scheme)
        if link.is_ip:
            found.append("u:ip")
        else:
            suffix = link.registrable.partition(".")[2] or link.registrable
            name = link.registrable.partition(".")[0]
            found += ["u:tld:" + suffix, "u:site:" + link.registrable]
            found += [f"h:{gram[2:]}" for gram in _word_grams(name)]
            if any(char.isdigit() for char in name):
                found.append("u:digits")
            if "-" in name:
                found.append("u:hyphen")
            if link.host.count(".") > link.registrable.count("."):
                found.append("u:subdomain")
        if link.port:
            found.append("u:port")
        found += [f"p:{word}" for word in _path_words(url)]
    scanned = "\n".join(repost.urls)
    lowered = repost.text.lower()
    if any(hint in lowered for hint in _RAW_HINTS) or _IP_PORT.search(lowered):
        scanned += "\n" + repost.text
    raw = {match.lastgroup for match in _RAW_FORMATS.finditer(scanned) if match.lastgroup}
    found += [f"raw:{name}" for name in sorted(raw)]
    return found


def _author_features(repost: Repost) -> list[str]:
    author = repost.source_author
    if author is None:
        return ["au:none"]
    found = [f"a:{word}" for word in tokenise(f"{author.name}\n{author.bio}").words]
    found += [f"ae:{char}" for char in _EMOJI.findall(f"{author.name}{author.bio}") if _is_emoji(char)]
    if author.handle:
        found += [f"hn:{gram[2:]}" for gram in _word_grams(author.handle.lower())]
    if author.created_at and repost.posted_at:
        days = (repost.posted_at - author.created_at).total_seconds() / _DAY
        found.append("au:age:" + next(label for limit, label in _AGES if days < limit))
    if author.followers is not None:
        found.append("au:followers:" + next(label for limit, label in _FOLLOWERS if author.followers < limit))
    if author.default_profile:
        found.append("au:default_picture")
    if author.verified:
        found.append("au:verified")
    if _EIGHTEEN.search(author.bio) or _EIGHTEEN.search(author.name):
        found.append("au:18plus")
    return found


_AGES = ((7, "week"), (60, "months"), (math.inf, "older"))
_FOLLOWERS = ((50, "few"), (10_000, "some"), (math.inf, "many"))


def _signal_features(repost: Repost, signals: Signals) -> list[str]:
    text = repost.text
    found = []
    if repost.has_media:
        found.append("x:media")
    hashtags = len(_HASHTAG.findall(text))
    if hashtags:
        found.append(f"s:hashtags:{min(hashtags, 4)}")
    letters = sum(map(str.isalpha, text))
    if letters >= 12 and sum(map(str.isupper, text)) / letters > 0.6:
        found.append("s:shouting")
    if _MONEY.search(text):
        found.append("s:money")
    if _EIGHTEEN.search(text):
        found.append("s:18plus")
    for rule_id, evidence in signals.evidence.items():
        if evidence and rule_id not in _LEFT_TO_THE_RULES:
            found.append("r:" + rule_id)
    found += [f"rt:{tag}" for tag in sorted(signals.tags - _LEFT_TO_THE_RULES)]
    return found


def _path_words(url: str) -> list[str]:
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
    except ValueError:
        return []
    path = unquote(f"{parts.path} {parts.query}").lower()
    return [word for word in _PATH_WORD.findall(path) if not word.isdigit()][:12]


def _is_x_media(registrable: str, url: str) -> bool:
    return registrable in {"x.com", "twitter.com", "twimg.com"} and ("/photo/" in url or "/video/" in url)


@lru_cache(maxsize=8192)
def _is_emoji(char: str) -> bool:
    return ord(char) > 0x2000 and unicodedata.category(char) == "So"


@lru_cache(maxsize=8192)
def _script(char: str) -> str:
    return unicodedata.name(char, "").split(" ", 1)[0]
