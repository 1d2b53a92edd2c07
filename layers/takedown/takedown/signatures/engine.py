"""The signature engine: a Repost in, a Verdict out, with the rules that fired and their evidence.

Signals are combined per category with a noisy-OR of rule weights (1 - Π(1 - w)); a category is
bad at BAD_SCORE or above. Links to trusted domains (the packs' allowlist plus the account's own)
are not inspected; posts by the account's trusted authors are clean; a rule marked
`dampened_by_safety_context` counts for a third when the post reads like a warning, an appeal or
a news report (the `safety_context` tag). Evidence is what was written: the host as linked, the
phrase as it appears in the post, obfuscation included.

Example:
    engine = SignatureEngine.load_default()
    verdict = engine.classify(Repost.from_event(event))
    if verdict.is_bad: ...
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from takedown.judgement.verdict import Category, Contribution, Verdict
from takedown.repost import Repost
from takedown.signatures.links import Link, parse_link, public_suffixes, to_ascii
from takedown.signatures.rules import Pack, Rule, load_pack
from takedown.signatures.text import Tokens, tokenise, tokens

BAD_SCORE = 0.8
SAFETY_CONTEXT_TAG = "safety_context"
SAFETY_CONTEXT_FACTOR = 1 / 3
PACKS_DIR = Path(__file__).resolve().parent / "packs"
_SPELLED_DOT = "dot"
_MAX_NAME_WORDS = 3
# A name, a dot as spammers write it (".", "[.]", "(.)", "dot", "[dot]"), a suffix: nothing else between.
# The end of a sentence: a phrase of several words is never matched across one ("live! link in bio"
# is no "live link"); emoji and line breaks between its words still match ("free 🔴 stream").
_SENTENCE_END = re.compile(r"[.!?。！？؟]\s")
_DOT_BETWEEN_WORDS = re.compile(r"\w\.\w|\w\s?(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\))\s?\w|\bdot\b", re.I)
_SPELLED_DOMAIN = re.compile(r"^[^\W_][\w\s-]*?\s*(?:\.|\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\bdot\b)\s*[\w.]+$", re.I)


@dataclass(frozen=True)
class TrustList:
    """Per-account additions to the packs' own allowlist: domains whose links are never inspected,
    and original authors (by id or handle) whose posts the account may always repost."""

    trusted_domains: frozenset[str] = frozenset()
    trusted_author_ids: frozenset[str] = frozenset()
    trusted_author_handles: frozenset[str] = frozenset()

    def trusts_author(self, repost: Repost) -> bool:
        author = repost.source_author
        if author is None:
            return False
        if author.id and author.id in self.trusted_author_ids:
            return True
        handle = (author.handle or "").lower()
        return bool(handle) and any(handle == trusted.lower().lstrip("@") for trusted in self.trusted_author_handles)


@dataclass
class Signals:
    """Every rule that fired on a post (weight-0 tag rules included), with its evidence, and the tags."""

    evidence: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    tags: set[str] = field(default_factory=set)
    linked: set[str] = field(default_factory=set)  # rules with evidence other than a domain spelled in the text
    # Site-name rules whose name is only a piece of a link's name (brazzers4free): for the model, not a verdict.
    brand_variants: set[str] = field(default_factory=set)

    def add(self, rule: Rule, evidence: str, spelled: bool = False) -> None:
        if evidence not in self.evidence[rule.id]:
            self.evidence[rule.id].append(evidence)
        if not spelled:
            self.linked.add(rule.id)
        self.tags.update(rule.tags)

    def fired(self, rule_id: str) -> bool:
        return bool(self.evidence.get(rule_id))


_KEPT = 8192  # links and profiles whose rule hits are kept; all are dropped when full


PLATFORM_TAGS = frozenset({"live_platform", "social_video", "invite_link", "link_hub", "hidden_link"})


class SignatureEngine:
    """Indexes the rules once; classify() is dict and set lookups over tokens and hosts, and a few regexes."""

    def __init__(self, packs: list[Pack]) -> None:
        self.rules = {rule.id: rule for pack in packs for rule in pack.rules}
        if len(self.rules) != sum(len(pack.rules) for pack in packs):
            raise ValueError("rule ids must be unique across packs")
        self.versions = {rule.id: rule.version for rule in self.rules.values()}  # hashed once, not per verdict
        self.trusted_domains = frozenset(to_ascii(d) for pack in packs for d in pack.trusted_domains)
        # The packs' version covers their rules and their trusted domains: both change a verdict.
        described = " ".join(sorted(self.versions.values())) + "\ntrusted " + " ".join(sorted(self.trusted_domains))
        self.version = hashlib.sha256(described.encode()).hexdigest()[:12]
        # The big platforms' own domains (live and video platforms, chat invites, link hubs and
        # shorteners): their suffix says nothing of who posts there (twitch.tv, fb.watch).
        self.platform_domains = frozenset(
            to_ascii(domain)
            for rule in self.rules.values()
            if PLATFORM_TAGS & set(rule.tags)
            for domain in rule.match.domains
        )
        self._domains: dict[str, list[Rule]] = defaultdict(list)
        self._labels: dict[str, list[Rule]] = defaultdict(list)
        self._url_patterns: list[tuple[re.Pattern[str], Rule]] = []
        # field -> first word -> {phrase words: rules}: only phrases starting at a word are tried
        self._phrases: dict[str, dict[str, dict[tuple[str, ...], list[Rule]]]] = {
            "text": defaultdict(lambda: defaultdict(list)),
            "bio": defaultdict(lambda: defaultdict(list)),
        }
        self._unless: dict[str, list[tuple[str, ...]]] = {}
        self._combinations: list[tuple[Rule, frozenset[str], tuple[Rule, ...]]] = []
        self._sensitive: list[Rule] = []
        self._hits_by_link: dict[str, tuple[tuple[tuple[Rule, str], ...], frozenset[str]]] = {}
        self._hits_by_bio: dict[str, tuple[tuple[Rule, str], ...]] = {}
        for rule in self.rules.values():
            self._index(rule)
        for rule in self.rules.values():
            if rule.match.all_of:
                needed = frozenset(rule.match.all_of)
                feeders = tuple(r for r in self.rules.values() if needed & set(r.tags))
                self._combinations.append((rule, needed, feeders))

    @classmethod
    def from_paths(cls, paths: list[Path]) -> SignatureEngine:
        """An engine over the given pack files (the default packs are not included)."""
        return cls([load_pack(path) for path in paths])

    @classmethod
    def load_default(cls) -> SignatureEngine:
        """The engine over the packs shipped in `packs/`, built once per process."""
        return _default_engine()

    def _index(self, rule: Rule) -> None:
        match = rule.match
        for domain in match.domains:
            self._domains[to_ascii(domain)].append(rule)
        for label in match.domain_labels:
            for form in {to_ascii(label), to_ascii(label).replace("-", "")}:
                self._labels[form].append(rule)
        self._url_patterns.extend((re.compile(p, re.IGNORECASE), rule) for p in match.url_patterns)
        fields = ("text", "bio") if match.field == "any" else (match.field,)
        for phrase in match.phrases:
            key = tuple(tokens(phrase))
            if not key:
                raise ValueError(f"{rule.id}: phrase {phrase!r} has no words once folded")
            for name in fields:
                self._phrases[name][key[0]][key].append(rule)
        if match.unless:
            self._unless[rule.id] = [tuple(tokens(p)) for p in match.unless]
        if match.possibly_sensitive:
            self._sensitive.append(rule)

    def classify(self, repost: Repost, trust: TrustList | None = None, *, explain: bool = True) -> Verdict:
        """The verdict on `repost`; `trust` adds the account's own trusted domains and authors.
        The rules that fired are the whole explanation, listed whatever `explain` says (it is the
        judgement's option, kept here so the engine can stand in for it)."""
        trust = trust or TrustList()
        if trust.trusts_author(repost):
            return Verdict(category=None, score=0.0, versions={"rules": self.version})
        return self.verdict(self.signals(repost, trust))

    def signals(self, repost: Repost, trust: TrustList | None = None) -> Signals:
        """Every rule that fired on `repost`, with its evidence: what a verdict is computed from."""
        trusted = self.trusted_for(trust)
        signals = Signals()
        for url in repost.urls:
            link = parse_link(url)
            if link is not None and not link.is_under(trusted):
                self._inspect_link(link, signals)
        text = tokenise(repost.text)
        for rule, evidence in self._phrase_hits(text, "text"):
            signals.add(rule, evidence)
        self._inspect_spelled_domains(text, signals)
        author = repost.source_author
        if author and (author.name or author.bio):
            for rule, evidence in self._bio_hits(author.profile):
                signals.add(rule, evidence)
        if repost.possibly_sensitive:
            for rule in self._sensitive:
                signals.add(rule, "possibly_sensitive")
        for rule, needed, feeders in self._combinations:
            if needed <= signals.tags:
                parts = [e for feeder in feeders for e in signals.evidence.get(feeder.id, ())]
                signals.add(rule, " + ".join(dict.fromkeys(parts)))
        return signals

    def _inspect_link(self, link: Link, signals: Signals) -> None:
        hits, variants = self._link_hits(link)
        for rule, evidence in hits:
            signals.add(rule, evidence)
        signals.brand_variants.update(variants)

    def _link_hits(self, link: Link) -> tuple[tuple[tuple[Rule, str], ...], frozenset[str]]:
        """The rules `link` fires, with their evidence, and the site-name rules it is a variant of:
        the same for every post that carries the link, so kept per engine (spam waves repeat links)."""
        found = self._hits_by_link.get(link.url)
        if found is None:
            hits = [(rule, link.host) for suffix in link.suffixes for rule in self._domains.get(suffix, ())]
            hits += [(rule, link.host) for label in link.labels for rule in self._labels.get(label, ())]
            for pattern, rule in self._url_patterns:
                match = pattern.search(link.url)
                if match:
                    hits.append((rule, match.group(0)[:80]))
            variants = frozenset(rule.id for part in link.label_parts for rule in self._labels.get(part, ()))
            found = (tuple(hits), variants)
            if len(self._hits_by_link) >= _KEPT:
                self._hits_by_link.clear()
            self._hits_by_link[link.url] = found
        return found

    def _inspect_spelled_domains(self, text: Tokens, signals: Signals) -> None:
        """A site name then its suffix in the words: "crackstreams dot biz", "yalla-shoot[.]com".

        A hyphenated name is split into words, so up to three words are joined to find it.
        """
        if not _DOT_BETWEEN_WORDS.search(text.text):
            return
        words = text.words
        suffixes = public_suffixes()
        for index in range(len(words) - 1):
            for length in range(1, min(_MAX_NAME_WORDS, len(words) - index - 1) + 1):
                rules = self._labels.get("".join(words[index : index + length]))
                if not rules:
                    continue
                after = index + length
                if words[after] == _SPELLED_DOT and after + 1 < len(words):
                    after += 1
                written = text.as_written(index, after)
                if suffixes.is_public_suffix(words[after]) and _SPELLED_DOMAIN.match(written):
                    for rule in rules:
                        signals.add(rule, written, spelled=True)

    def _bio_hits(self, profile: str) -> tuple[tuple[Rule, str], ...]:
        """The phrase rules the author's name and bio fire: kept per engine, as a wave reposts the
        same few authors."""
        found = self._hits_by_bio.get(profile)
        if found is None:
            found = self._phrase_hits(tokenise(profile), "bio")
            if len(self._hits_by_bio) >= _KEPT:
                self._hits_by_bio.clear()
            self._hits_by_bio[profile] = found
        return found

    def _phrase_hits(self, text: Tokens, field_name: str) -> tuple[tuple[Rule, str], ...]:
        index = self._phrases[field_name]
        words = text.words
        prefix = "bio: " if field_name == "bio" else ""
        hits = []
        for start in [start for start, word in enumerate(words) if word in index]:  # most words start no phrase
            for key, rules in index[words[start]].items():
                if len(key) > 1 and (words[start : start + len(key)] != key or _across_sentences(text, start, key)):
                    continue
                for rule in rules:
                    if not self._cancelled(rule, words, start, len(key)):
                        hits.append((rule, prefix + text.as_written(start, start + len(key) - 1)))
        return tuple(hits)

    def _cancelled(self, rule: Rule, words: tuple[str, ...], start: int, length: int) -> bool:
        """An `unless` phrase overlapping the match cancels it ("revenge porn" reports a crime)."""
        for unless in self._unless.get(rule.id, ()):
            for begin in range(max(0, start - len(unless) + 1), start + length):
                if words[begin : begin + len(unless)] == unless:
                    return True
        return False

    def rule_scores(self, signals: Signals) -> dict[Category, tuple[float, tuple[Contribution, ...]]]:
        """Per category, the noisy-OR of the weights of the rules that fired, and those rules."""
        safety = SAFETY_CONTEXT_TAG in signals.tags
        scores: dict[Category, float] = {}
        fired: dict[Category, list[Contribution]] = defaultdict(list)
        for rule_id, evidence in signals.evidence.items():
            rule = self.rules[rule_id]
            if rule.weight <= 0 or not evidence:
                continue
            # A pirate site named in a court report or a warning is not a link to it.
            dampened = rule.dampened_by_safety_context or rule_id not in signals.linked
            weight = rule.weight * (SAFETY_CONTEXT_FACTOR if safety and dampened else 1)
            scores[rule.category] = 1 - (1 - scores.get(rule.category, 0.0)) * (1 - weight)
            fired[rule.category].append(
                Contribution(
                    kind="rule",
                    rule=rule.id,
                    version=self.versions[rule.id],
                    evidence="; ".join(evidence),
                    category=rule.category,
                    weight=round(weight, 4),
                )
            )
        return {category: (round(score, 4), tuple(fired[category])) for category, score in scores.items()}

    def verdict(self, signals: Signals) -> Verdict:
        """The rules' own verdict: the strongest category, bad at BAD_SCORE."""
        versions = {"rules": self.version}
        scores = self.rule_scores(signals)
        if not scores:
            return Verdict(category=None, score=0.0, versions=versions)
        category, (score, contributions) = max(scores.items(), key=lambda item: item[1][0])
        if score < BAD_SCORE:
            return Verdict(category=None, score=score, versions=versions)
        return Verdict(category=category, score=score, contributions=contributions, versions=versions)

    def trusted_for(self, trust: TrustList | None) -> frozenset[str]:
        """The packs' trusted domains and the account's own, in the ASCII form links are compared in."""
        if trust and trust.trusted_domains:
            return self.trusted_domains | {to_ascii(d) for d in trust.trusted_domains}
        return self.trusted_domains


def _across_sentences(text: Tokens, start: int, key: tuple[str, ...]) -> bool:
    """Whether a sentence ends between the first and the last word of a phrase match."""
    between = text.text[text.spans[start][0] : text.spans[start + len(key) - 1][0]]
    return bool(between) and _SENTENCE_END.search(between) is not None


@cache
def _default_engine() -> SignatureEngine:
    public_suffixes()  # read with the rules: part of the load, not of the first classification
    return SignatureEngine.from_paths(sorted(PACKS_DIR.glob("*.yaml")))
