"""Follow every link of a post, in parallel, within one time budget.

For each URL: up to `max_hops` redirects (HTTP 3xx, meta refresh, JavaScript location one-liners),
each hop vetted and fetched by `HopFetcher`, then the final page read (`read_html`). The whole
post gets `budget_seconds` (1.5 s by default) from the first cache read to the last byte: a link
still running then comes back as a "timeout" page and the rest are judged without it. A timeout,
a refusal or an error is evidence of nothing: it never makes a post bad and never blocks the
verdict.

Example:
    resolver = LinkResolver(HopFetcher(httpx.HTTPTransport(), SystemResolver()), MemoryLinkCache())
    pages = resolver.resolve_all(repost.urls)           # one LandingPage per URL, in order
    judge.classify(repost, trust, pages=pages)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import Protocol

from takedown.links.cache import LinkCache
from takedown.links.exceptions import BudgetExceededError, LinkError, RefusedError
from takedown.links.fetch import Hop, HopFetcher
from takedown.links.page import FeedHit, LandingPage, PageEvidence, read_html, read_other
from takedown.signatures.links import parse_link

logger = logging.getLogger(__name__)

DEFAULT_BUDGET_SECONDS = 1.5
DEFAULT_MAX_HOPS = 5
DEFAULT_MAX_WORKERS = 8
# X's own links (a quoted post, a photo page) are never followed: X is not the landing page.
X_DOMAINS = frozenset({"x.com", "twitter.com", "twimg.com"})


class DomainLookup(Protocol):
    """The public domain lists (takedown.feeds.DomainStore): which of these names they list."""

    def lookup(self, names: Iterable[str]) -> dict[str, list[FeedHit]]: ...


class LinkResolver:
    """Resolves a post's links; built once per process and reused (its threads and connections too)."""

    def __init__(
        self,
        fetcher: HopFetcher,
        cache: LinkCache | None = None,
        *,
        domains: DomainLookup | None = None,
        trusted_domains: frozenset[str] = frozenset(),
        budget_seconds: float = DEFAULT_BUDGET_SECONDS,
        max_hops: int = DEFAULT_MAX_HOPS,
        max_workers: int = DEFAULT_MAX_WORKERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetcher = fetcher
        self._cache = cache
        self._domains = domains
        self._trusted = trusted_domains | X_DOMAINS
        self.budget_seconds = budget_seconds
        self._max_hops = max_hops
        # Not a context manager: a hanging server must not hold the verdict; its thread ends at the
        # deadline (every read is bounded by it) while the post is judged without that link.
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="links")
        self._clock = clock

    def resolve_all(self, urls: Sequence[str], trusted_domains: frozenset[str] = frozenset()) -> list[LandingPage]:
        """One LandingPage per distinct URL, in order, within the budget. Links to trusted domains
        (the packs' and `trusted_domains`, the account's own) and X's own are not fetched ("skipped")."""
        deadline = self._clock() + self.budget_seconds
        trusted = self._trusted | trusted_domains
        distinct = list(dict.fromkeys(url.strip() for url in urls if url.strip()))
        pages: dict[str, LandingPage] = {}
        for url in distinct:
            link = parse_link(url)
            if link is None or link.is_under(trusted):
                pages[url] = LandingPage(url, (url,), "skipped", "trusted domain" if link else "no host", _host(url))
        wanted = [url for url in distinct if url not in pages]
        if wanted and self._cache is not None:
            try:
                pages.update(self._cache.get_many(wanted))
            except Exception as error:  # noqa: BLE001 - a cache outage costs a fetch, never the verdict
                logger.warning("link cache unreadable: %s: %s", type(error).__name__, error)
        misses = [url for url in wanted if url not in pages]
        futures: dict[str, Future[LandingPage]] = {
            url: self._pool.submit(self.resolve, url, deadline) for url in misses
        }
        if futures:
            wait(futures.values(), timeout=max(0.0, deadline - self._clock()))
        fetched: list[LandingPage] = []
        for url, future in futures.items():
            if future.done() and future.exception() is None:
                fetched.append(future.result())
            else:
                future.cancel()
                fetched.append(LandingPage(url, (url,), "timeout", "budget spent", _host(url)))
        pages.update((page.url, page) for page in fetched)
        if fetched and self._cache is not None:
            try:
                self._cache.put_many(fetched)
            except Exception as error:  # noqa: BLE001 - the next post fetches it again
                logger.warning("link cache not written: %s: %s", type(error).__name__, error)
        ordered = [pages[url] for url in distinct]
        return self._with_feed_hits(ordered, trusted) if self._domains is not None else ordered

    def resolve(self, url: str, deadline: float) -> LandingPage:
        """Follow one URL to its landing page (never raises: a failure is an outcome)."""
        chain = [url]
        seen = {_normal(url)}
        hop: Hop | None = None
        try:
            while True:
                hop = self._fetcher.get(chain[-1], deadline)
                if hop.status_code >= 400:  # an error page says nothing about where the link goes
                    return self._ended(url, chain, "error", f"HTTP {hop.status_code}", hop)
                evidence, target = self._read(hop)
                if target is None:
                    return self._landed(url, chain, hop, evidence)
                if _normal(target) in seen:
                    return self._ended(url, [*chain, target], "loop", f"back to {target}", hop)
                if len(chain) - 1 >= self._max_hops:
                    return self._ended(url, chain, "hop_limit", f"more than {self._max_hops} redirects", hop)
                chain.append(target)
                seen.add(_normal(target))
        except BudgetExceededError as error:
            return self._ended(url, chain, "timeout", str(error), hop)
        except RefusedError as error:
            return self._ended(url, chain, "refused", f"{error.reason}: {error}", hop)
        except LinkError as error:
            return self._ended(url, chain, "error", f"{error.reason}: {error}", hop)

    def _read(self, hop: Hop) -> tuple[PageEvidence | None, str | None]:
        if hop.location is not None:
            return None, hop.location
        if not hop.is_html:
            return read_other(hop.url, hop.content_type), None
        return read_html(hop.body, hop.url, hop.content_type)

    def _landed(self, url: str, chain: list[str], hop: Hop, evidence: PageEvidence | None) -> LandingPage:
        return LandingPage.with_evidence(
            url,
            tuple(chain),
            evidence or PageEvidence(),
            outcome="page" if hop.is_html else "not_html",
            final_host=_host(chain[-1]),
            status_code=hop.status_code,
            content_type=hop.content_type,
            truncated=hop.truncated,
        )

    def _ended(self, url: str, chain: list[str], outcome: str, detail: str, hop: Hop | None) -> LandingPage:
        return LandingPage(
            url,
            tuple(chain),
            outcome,  # type: ignore[arg-type]
            detail[:300],
            _host(chain[-1]),
            status_code=hop.status_code if hop else None,
        )

    def _with_feed_hits(self, pages: list[LandingPage], trusted: frozenset[str]) -> list[LandingPage]:
        """Add the public lists' hits on every host of every chain; trusted names always win."""
        if self._domains is None:
            return pages
        names: dict[str, set[str]] = {}
        for page in pages:
            for hop_url in page.chain:
                link = parse_link(hop_url)
                if link is not None and not link.is_ip and not link.is_under(trusted):
                    names.setdefault(page.url, set()).update(link.suffixes)
        if not names:
            return pages
        try:
            hits = self._domains.lookup(sorted(set().union(*names.values())))
        except Exception as error:  # noqa: BLE001 - the lists are evidence; without them the rest still counts
            logger.warning("domain lists unreadable: %s: %s", type(error).__name__, error)
            return pages
        return [
            _replace_hits(page, tuple(hit for name in sorted(names.get(page.url, ())) for hit in hits.get(name, ())))
            for page in pages
        ]


def _replace_hits(page: LandingPage, hits: tuple[FeedHit, ...]) -> LandingPage:
    return replace(page, feed_hits=hits) if hits else page


def _host(url: str) -> str:
    link = parse_link(url)
    return link.host if link else ""


def _normal(url: str) -> str:
    return url.split("#", 1)[0].rstrip("/").lower()
