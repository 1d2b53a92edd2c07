"""The signature engine: a Repost in, a Verdict out, with the rules that fired and their evidence.

Signals are combined per category with a noisy-OR of rule weights (1 - Π(1 - w)); a category is
bad at BAD_SCORE or above. Links to trusted domains are not inspected; posts by trusted authors
are clean; a rule marked `dampened_by_safety_context` counts for a third when the post reads like
a warning, an appeal or a news report (the `safety_context` tag).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import tldextract

from takedown.incidents.model import MatchedRule
from takedown.repost import Repost
from takedown.signatures.rules import Category, Pack, Rule, load_pack
from takedown.signatures.text import tokens

BAD_SCORE = 0.8
SAFETY_CONTEXT_TAG = "safety_context"
SAFETY_CONTEXT_FACTOR = 1 / 3
PACKS_DIR = Path(__file__).resolve().parent / "packs"
# The Public Suffix List snapshot bundled with tldextract: no network at run time.
_SUFFIXES = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@dataclass(frozen=True)
class TrustList:
    """Per-account additions to the packs' own allowlist."""

    trusted_domains: frozenset[str] = frozenset()
    trusted_author_ids: frozenset[str] = frozenset()
    trusted_author_handles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Verdict:
    category: Category | None
    score: float
    matches: tuple[MatchedRule, ...] = ()

    @property
    def is_bad(self) -> bool:
        return self.category is not None


CLEAN = Verdict(category=None, score=0.0)


@dataclass
class _Hits:
    evidence: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    tags: set[str] = field(default_factory=set)

    def add(self, rule: Rule, evidence: str) -> None:
        if evidence not in self.evidence[rule.id]:
            self.evidence[rule.id].append(evidence)
        self.tags.update(rule.tags)


class SignatureEngine:
    """Indexes the rules once; classify() is lookups in dicts and a few regexes."""

    def __init__(self, packs: list[Pack]) -> None:
        self.rules = {rule.id: rule for pack in packs for rule in pack.rules}
        if len(self.rules) != sum(len(pack.rules) for pack in packs):
            raise ValueError("rule ids must be unique across packs")
        self.versions = {rule.id: rule.version for rule in self.rules.values()}  # hashed once, not per verdict
        self.trusted_domains = frozenset(d.lower() for pack in packs for d in pack.trusted_domains)
        self._domains: dict[str, list[Rule]] = defaultdict(list)
        self._labels: dict[str, list[Rule]] = defaultdict(list)
        self._url_patterns: list[tuple[re.Pattern[str], Rule]] = []
        # field -> first token -> {phrase tokens: rules}: only phrases starting at a token are tried
        self._phrases: dict[str, dict[str, dict[tuple[str, ...], list[Rule]]]] = {
            "text": defaultdict(lambda: defaultdict(list)),
            "bio": defaultdict(lambda: defaultdict(list)),
        }
        self._unless: dict[str, list[tuple[str, ...]]] = {}
        self._combinations: list[Rule] = []
        self._sensitive: list[Rule] = []
        for rule in self.rules.values():
            self._index(rule)

    @classmethod
    def from_paths(cls, paths: list[Path]) -> SignatureEngine:
        return cls([load_pack(path) for path in paths])

    @classmethod
    def load_default(cls) -> SignatureEngine:
        return _default_engine()

    def _index(self, rule: Rule) -> None:
        match = rule.match
        for domain in match.domains:
            self._domains[domain.lower()].append(rule)
        for label in match.domain_labels:
            self._labels[label.lower()].append(rule)
        self._url_patterns.extend((re.compile(p, re.IGNORECASE), rule) for p in match.url_patterns)
        fields = ("text", "bio") if match.field == "any" else (match.field,)
        for phrase in match.phrases:
            key = tuple(tokens(phrase))
            for name in fields:
                self._phrases[name][key[0]][key].append(rule)
        if match.unless:
            self._unless[rule.id] = [tuple(tokens(p)) for p in match.unless]
        if match.all_of:
            self._combinations.append(rule)
        if match.possibly_sensitive:
            self._sensitive.append(rule)

    def classify(self, repost: Repost, trust: TrustList | None = None) -> Verdict:
        trust = trust or TrustList()
        author = repost.source_author
        if author and (
            (author.id and author.id in trust.trusted_author_ids)
            or (author.handle and author.handle.lower() in {h.lower() for h in trust.trusted_author_handles})
        ):
            return CLEAN
        return self._verdict(self.signals(repost, trust))

    def signals(self, repost: Repost, trust: TrustList | None = None) -> _Hits:
        """Every rule that fired on `repost`, with its evidence (weight-0 tag rules included)."""
        trust = trust or TrustList()
        author = repost.source_author
        hits = _Hits()
        trusted = self.trusted_domains | {d.lower() for d in trust.trusted_domains}
        for url in repost.urls:
            self._inspect_url(url, trusted, hits)
        self._inspect_phrases(tokens(repost.text), "text", hits)
        if author:
            self._inspect_phrases(tokens(f"{author.name} {author.bio}"), "bio", hits)
        if repost.possibly_sensitive:
            for rule in self._sensitive:
                hits.add(rule, "possibly_sensitive")
        for rule in self._combinations:
            if set(rule.match.all_of) <= hits.tags:
                parts = [
                    e
                    for r in self.rules.values()
                    if set(r.tags) & set(rule.match.all_of)
                    for e in hits.evidence.get(r.id, [])
                ]
                hits.add(rule, " + ".join(dict.fromkeys(parts)))
        return hits

    def _inspect_url(self, url: str, trusted: frozenset[str] | set[str], hits: _Hits) -> None:
        try:
            parts = urlsplit(url.strip())
            host = (parts.hostname or "").lower().rstrip(".")
        except ValueError:
            return
        if host and not host.isascii():
            with contextlib.suppress(UnicodeError):  # an invalid IDN stays as written
                host = host.encode("idna").decode("ascii")
        suffixes = _host_suffixes(host)
        if any(s in trusted for s in suffixes):
            return
        for suffix in suffixes:
            for rule in self._domains.get(suffix, ()):
                hits.add(rule, host)
        label = _registrable_label(host)
        for rule in self._labels.get(label, ()):
            hits.add(rule, host)
        for pattern, rule in self._url_patterns:
            found = pattern.search(url)
            if found:
                hits.add(rule, found.group(0)[:80])

    def _inspect_phrases(self, words: list[str], field_name: str, hits: _Hits) -> None:
        index = self._phrases[field_name]
        prefix = "bio: " if field_name == "bio" else ""
        for start, word in enumerate(words):
            candidates = index.get(word)
            if not candidates:
                continue
            for key, rules in candidates.items():
                if len(key) > 1 and tuple(words[start : start + len(key)]) != key:
                    continue
                for rule in rules:
                    if not self._cancelled(rule, words, start, len(key)):
                        hits.add(rule, prefix + " ".join(key))

    def _cancelled(self, rule: Rule, words: list[str], start: int, length: int) -> bool:
        for unless in self._unless.get(rule.id, ()):
            for begin in range(max(0, start - len(unless) + 1), start + length):
                if tuple(words[begin : begin + len(unless)]) == unless:
                    return True
        return False

    def _verdict(self, hits: _Hits) -> Verdict:
        safety = SAFETY_CONTEXT_TAG in hits.tags
        scores: dict[str, float] = {}
        fired: dict[str, list[MatchedRule]] = defaultdict(list)
        for rule_id, evidence in hits.evidence.items():
            rule = self.rules[rule_id]
            if rule.weight <= 0:
                continue
            weight = rule.weight * (SAFETY_CONTEXT_FACTOR if safety and rule.dampened_by_safety_context else 1)
            scores[rule.category] = 1 - (1 - scores.get(rule.category, 0.0)) * (1 - weight)
            fired[rule.category].append(
                MatchedRule(rule=rule.id, version=self.versions[rule.id], evidence="; ".join(evidence))
            )
        if not scores:
            return CLEAN
        category, score = max(scores.items(), key=lambda item: item[1])
        if score < BAD_SCORE:
            return Verdict(category=None, score=round(score, 4))
        return Verdict(category=category, score=round(score, 4), matches=tuple(fired[category]))  # type: ignore[arg-type]


@lru_cache(maxsize=65536)
def _host_suffixes(host: str) -> tuple[str, ...]:
    """a.b.example.co.uk -> [a.b.example.co.uk, b.example.co.uk, example.co.uk]; an IP -> [ip]."""
    if not host:
        return ()
    if _is_ip(host):
        return (host,)
    registrable = _SUFFIXES.extract_str(host).top_domain_under_public_suffix or host
    labels = host.split(".")
    found = []
    for i in range(len(labels)):
        candidate = ".".join(labels[i:])
        found.append(candidate)
        if candidate == registrable:
            break
    return tuple(found)


@lru_cache(maxsize=65536)
def _registrable_label(host: str) -> str:
    return "" if not host or _is_ip(host) else _SUFFIXES.extract_str(host).domain


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@cache
def _default_engine() -> SignatureEngine:
    return SignatureEngine.from_paths(sorted(PACKS_DIR.glob("*.yaml")))
