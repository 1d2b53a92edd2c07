"""The judgement: the rule packs and the learned model together, precision safeguards first.

Per category, a post is bad when
- the rules alone reach BAD_SCORE (they explain themselves, and ops can add a domain in minutes), or
- the model alone clears its strict threshold, or
- the rules lean that way (their score reaches `rules_lean`) and the model clears `with_rules`.
Thresholds are chosen at training on out-of-fold predictions of the training corpus, never on
the evaluation set. An artifact trained with `--background` (not `may_undo`) runs in the
background: its contributions are computed and recorded with every verdict, but only the rules undo.

A verdict the rules alone do not carry is held back by a safeguard when the post reads like a
warning, an appeal or a news report (the packs' safety_context words), when every link goes to a
trusted domain, when every link goes to the author's own channel or site (their handle or
display name in the address) and the author has an audience and a history (1,000 followers, two
years), when the original author is long established (verified, 50k followers and more, three
years old and more), or when the post carries nothing off: no link off X, no media, no raw stream
address or spelled domain and no call to action ("link in bio", "DM me"): a fan's "what a match"
or a police "fight night: extra patrols" has nothing to watch. An own page is no safeguard when it
is the offer (an IPTV seller's shop, an adult seller's site) or hidden behind a shortener. Posts by
the account's trusted authors are never bad.

When the link resolver ran, the landing pages count too (takedown.judgement.pages): their final
addresses and their titles and descriptions are read as part of the post, and what a page says
about itself (an RTA adult label, a live video player, a public-list hit) adds to the rules.

Example:
    judge = Judge.load_default()
    verdict = judge.classify(repost, TrustList(trusted_domains=frozenset({"example-council.gov.uk"})))
    verdict.category, verdict.contributions, verdict.versions
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING

from takedown.judgement.features import (
    FEATURES_VERSION,
    calls_to_action_unspaced,
    is_own_link,
    on_x,
    post_features,
    raw_stream_formats,
    spelled_domains,
)
from takedown.judgement.model import CategoryScore, LearnedModel
from takedown.judgement.pages import PAGE_RULES_VERSION, add_page_evidence, with_landing_pages
from takedown.judgement.verdict import CATEGORIES, Category, Contribution, Verdict
from takedown.repost import Author, Repost
from takedown.signatures.engine import BAD_SCORE, SAFETY_CONTEXT_TAG, Signals, SignatureEngine, TrustList
from takedown.signatures.links import parse_link

if TYPE_CHECKING:  # the link package (httpx, an HTML parser) loads only where links are followed
    from takedown.links.page import LandingPage

ESTABLISHED_FOLLOWERS = 50_000
ESTABLISHED_AGE = timedelta(days=3 * 365)
OWN_CHANNEL_FOLLOWERS = 1_000
OWN_CHANNEL_AGE = timedelta(days=2 * 365)


class Judge:
    """Classifies a Repost with both parts; built once per process (`load_default`)."""

    def __init__(self, engine: SignatureEngine, model: LearnedModel) -> None:
        self.engine = engine
        self.model = model
        self.versions = {
            "rules": engine.version,
            "model": model.version,
            "features": FEATURES_VERSION,
            "page_rules": PAGE_RULES_VERSION,
        }
        # How the model may act on each category, as every verdict's summary says it.
        self._how = {
            category: (
                f"undoes alone at {thresholds.alone:.2f}, at {thresholds.with_rules:.2f} when the rules reach "
                f"{thresholds.rules_lean:.2f}"
                if model.may_undo
                else "in the background: explains, never undoes"
            )
            for category, thresholds in model.thresholds.items()
        }

    @classmethod
    def load_default(cls) -> Judge:
        return _default_judge()

    def classify(
        self, repost: Repost, trust: TrustList | None = None, pages: Sequence[LandingPage] = (), *, explain: bool = True
    ) -> Verdict:
        """The verdict on `repost`; `trust` adds the account's own trusted domains and authors, and
        `pages` are the landing pages its links led to (read by the link resolver, when it runs).

        A bad or held-back verdict always lists the model's strongest features by group; a clean
        one lists them only with `explain` (its rules and the model's probability are always
        there). The inspector keeps only bad verdicts, so it leaves it off: the features' list is
        a fifth of the time of a clean verdict."""
        if trust and trust.trusts_author(repost):
            author = repost.source_author.handle if repost.source_author else None
            held = _safeguard("trusted_author", f"@{author} is on the account's trusted list")
            return Verdict(category=None, score=0.0, contributions=(held,), versions=self.versions)
        posted, repost = repost, with_landing_pages(repost, pages)
        signals = self.engine.signals(repost, trust)
        trusted = self.engine.trusted_for(trust)
        rules = add_page_evidence(self.engine.rule_scores(signals), pages)
        model = self.model.score(post_features(repost, signals, trusted, self.engine.platform_domains))
        candidates: list[tuple[float, Category, bool]] = []  # (strength, category, carried by the rules)
        for category in CATEGORIES:
            rule_score = rules.get(category, (0.0, ()))[0]
            probability = model[category].probability
            thresholds = self.model.thresholds[category]
            by_rules = rule_score >= BAD_SCORE
            by_model = self.model.may_undo and (
                probability >= thresholds.alone
                or (rule_score >= thresholds.rules_lean and probability >= thresholds.with_rules)
            )
            if by_rules or by_model:
                candidates.append((max(rule_score, probability), category, by_rules))
        if not candidates:
            strongest = max(CATEGORIES, key=lambda c: max(rules.get(c, (0.0, ()))[0], model[c].probability))
            return self._verdict(None, strongest, rules, model[strongest], explain=explain)
        _, category, by_rules = max(candidates)
        if not by_rules:
            safeguard = held_back(self.engine, posted, signals, trusted, pages)
            if safeguard is not None:
                return self._verdict(None, category, rules, model[category], safeguard)
        return self._verdict(category, category, rules, model[category])

    def _verdict(
        self,
        bad: Category | None,
        category: Category,
        rules: dict[Category, tuple[float, tuple[Contribution, ...]]],
        model: CategoryScore,
        held: Contribution | None = None,
        *,
        explain: bool = True,
    ) -> Verdict:
        rule_score, rule_parts = rules.get(category, (0.0, ()))
        version = self.model.version
        summary = {
            "kind": "model",
            "rule": "model",
            "version": version,
            "category": category,
            "weight": round(model.probability, 4),
            "evidence": f"p={model.probability:.3f} ({self._how[category]}; rules {rule_score:.2f})",
        }
        groups = [
            {
                "kind": "model",
                "rule": f"model:{group}",
                "version": version,
                "category": category,
                "weight": round(sum(weight for _, weight in top), 4),
                "evidence": ", ".join(f"{name} +{weight:.2f}" for name, weight in top),
            }
            for group, top in (sorted(model.top.items()) if explain or bad or held else ())
        ]
        # One validation of the whole verdict (the rules' contributions are already built): half
        # the time of building each contribution on its own, on every post.
        return Verdict.model_validate(
            {
                "category": bad,
                "score": round(max(rule_score, model.probability), 4),
                "contributions": [*rule_parts, summary, *groups, *((held,) if held else ())],
                "versions": self.versions,
                "held_back_by": held.rule if held else None,
            }
        )


def held_back(
    engine: SignatureEngine,
    repost: Repost,
    signals: Signals,
    trusted: frozenset[str],
    pages: Sequence[LandingPage] = (),
) -> Contribution | None:
    """The first precision safeguard that applies to a verdict the rules alone do not carry.

    A link the resolver followed counts where it led (a shortener to a council page is the council)."""
    if SAFETY_CONTEXT_TAG in signals.tags:
        words = "; ".join(
            e
            for rule_id, found in signals.evidence.items()
            if SAFETY_CONTEXT_TAG in engine.rules[rule_id].tags
            for e in found
        )
        return _safeguard("safety_context", f"reads as a warning, appeal or report: {words[:120]}")
    led_to = {page.url: page.final_url for page in pages if page.outcome in ("page", "not_html")}
    # X's own links (the post's photos, other posts) say nothing either way: they are not counted.
    links = [led_to.get(link, link) for link in repost.urls if ("://" in link or "." in link) and not on_x(link)]
    if links and all(_trusted(link, trusted) for link in links):
        return _safeguard("trusted_links", "every link goes to a trusted domain")
    author = repost.source_author
    if (
        links
        and author
        and not signals.tags & _NOT_OWN_CHANNEL_TAGS
        and _settled(author, repost)
        and all(is_own_link(link, author) for link in links)
    ):
        return _safeguard(
            "own_channel",
            f"every link goes to @{author.handle}'s own channel or site, an account of {author.followers:,} followers",
        )
    if (
        author
        and author.verified
        and (author.followers or 0) >= ESTABLISHED_FOLLOWERS
        and author.created_at
        and repost.posted_at
        and repost.posted_at - author.created_at >= ESTABLISHED_AGE
    ):
        return _safeguard("established_author", f"@{author.handle}: verified, {author.followers:,} followers")
    if not _carries_off(repost, signals):
        return _safeguard("nothing_to_follow", "no link off X, media, stream address or call to action")
    return None


def _settled(author: Author, repost: Repost) -> bool:
    """An account with an audience and a history (OWN_CHANNEL_FOLLOWERS, OWN_CHANNEL_AGE). One that
    streams on its own channel under its own name is a club, a council or a streamer; the spam that
    restreams on its own channel comes from accounts days or months old, with a few followers."""
    return (
        (author.followers or 0) >= OWN_CHANNEL_FOLLOWERS
        and author.created_at is not None
        and repost.posted_at is not None
        and repost.posted_at - author.created_at >= OWN_CHANNEL_AGE
    )


# An own page is no safeguard when it is the offer: an IPTV seller's own shop, an adult seller's own
# site (their words, their bio, an adult address); and a shortener hides whose channel it leads to.
_NOT_OWN_CHANNEL_TAGS = frozenset(
    {"iptv_words", "stream_seller_bio", "adult_words", "adult_bio", "adult_link", "adult_site", "hidden_link"}
)


# Tags of rules that send a reader somewhere even without a link: the bio, the DMs, a chat app.
# An IPTV seller's words or bio are the offer itself: the sale goes through whatever they reply.
_CARRIER_TAGS = frozenset(
    {"call_to_action", "invite_link", "link_hub", "hidden_link", "live_platform", "iptv_words", "stream_seller_bio"}
)


def _carries_off(repost: Repost, signals: Signals) -> bool:
    """Whether the post gives a viewer anything to watch or follow: a link off X (or to an X
    broadcast), media, a raw stream address, a domain spelled in the words, or a call to action."""
    if repost.has_media or signals.tags & _CARRIER_TAGS:
        return True
    if any(not on_x(link) or "/i/broadcasts/" in link or "/i/spaces/" in link for link in repost.urls):
        return True
    if any(rule_id not in signals.linked for rule_id in signals.evidence):  # a listed domain spelled out
        return True
    return bool(raw_stream_formats(repost) or spelled_domains(repost.text) or calls_to_action_unspaced(repost.text))


def _trusted(url: str, trusted: frozenset[str]) -> bool:
    link = parse_link(url)
    return link is not None and link.is_under(trusted)


def _safeguard(name: str, evidence: str) -> Contribution:
    return Contribution(kind="safeguard", rule=name, version="1", evidence=evidence)


@cache
def _default_judge() -> Judge:
    return Judge(SignatureEngine.load_default(), LearnedModel.load_default())
