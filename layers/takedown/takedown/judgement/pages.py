"""Landing pages in the judgement: what the links of a post led to, read as evidence.

A page's final address joins the post's links (a shortener that leads to a pirate site is that
site), and its title, description and Open Graph text join the post's text, so the rules and the
model read them as they read the post. What a page declares about itself adds to the rules' score
of its category (noisy-OR, like every rule): an RTA adult label or an adult rating, an age gate, a
live video player with live-stream wording, and a hit in a public domain list, which strengthens
the category the rest of the evidence already leans to and is never a verdict on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from takedown.judgement.verdict import CATEGORIES, Category, Contribution
from takedown.repost import Repost

if TYPE_CHECKING:  # the link package (httpx, an HTML parser) loads only where links are followed
    from takedown.links.page import LandingPage

# (signal, category or None for "the leading one", weight): the page rules, versioned by their content.
PAGE_RULES: tuple[tuple[str, Category | None, float], ...] = (
    ("page.rta_label", "adult", 0.9),
    ("page.adult_rating", "adult", 0.8),
    ("page.age_gate", "adult", 0.3),
    ("page.live_player", "illegal_stream", 0.5),
    ("page.feed_listed", None, 0.6),
)
PAGE_RULES_VERSION = hashlib.sha256(repr(PAGE_RULES).encode()).hexdigest()[:12]
_ADULT_RATINGS = frozenset({"adult", "mature", "rta-5042-1996-1400-1577-rta", "restricted"})
_READ = ("page", "not_html")


def with_landing_pages(repost: Repost, pages: Sequence[LandingPage]) -> Repost:
    """`repost` with each page's final address among its links and the page's own words in its text."""
    read = [page for page in pages if page.outcome in _READ]
    if not read:
        return repost
    urls = tuple(dict.fromkeys((*repost.urls, *(page.final_url for page in read))))
    words = [
        part
        for page in read
        for part in (page.title, page.description, page.og.get("title", ""), page.og.get("description", ""))
        if part
    ]
    text = "\n".join((repost.text, *dict.fromkeys(words)))
    return repost.model_copy(update={"urls": urls, "text": text})


def add_page_evidence(
    rules: dict[Category, tuple[float, tuple[Contribution, ...]]], pages: Sequence[LandingPage]
) -> dict[Category, tuple[float, tuple[Contribution, ...]]]:
    """The rules' scores with what the pages declare about themselves added in."""
    fired = [(name, page) for page in pages if page.outcome in _READ for name in _page_signals(page)]
    if not fired:
        return rules
    scores = {category: rules.get(category, (0.0, ()))[0] for category in CATEGORIES}
    leading: Category = max(CATEGORIES, key=lambda category: scores[category])
    merged = {category: list(rules.get(category, (0.0, ()))[1]) for category in CATEGORIES}
    for name, page in fired:
        _, category, weight = next(rule for rule in PAGE_RULES if rule[0] == name)
        category = category or leading
        scores[category] = 1 - (1 - scores[category]) * (1 - weight)
        merged[category].append(
            Contribution(
                kind="rule",
                rule=name,
                version=PAGE_RULES_VERSION,
                evidence=f"{page.final_host}: " + "; ".join(page.evidence),
                category=category,
                weight=weight,
            )
        )
    return {
        category: (round(scores[category], 4), tuple(merged[category]))
        for category in CATEGORIES
        if merged[category] or scores[category]
    }


def _page_signals(page: LandingPage) -> list[str]:
    found = []
    if page.rta_label:
        found.append("page.rta_label")
    if page.rating.strip().lower() in _ADULT_RATINGS:
        found.append("page.adult_rating")
    if page.age_gate:
        found.append("page.age_gate")
    if (page.video_player or page.manifest) and page.live_words:
        found.append("page.live_player")
    if page.feed_hits:
        found.append("page.feed_listed")
    return found
