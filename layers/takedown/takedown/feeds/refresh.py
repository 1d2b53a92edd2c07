"""The daily refresh of the public domain lists into the domain store.

Each configured feed is downloaded (through the link fetcher: public addresses only, size-capped,
a deadline), read (`read_list`), and its difference from what the store holds for that source is
applied: new domains get today's date as first seen, gone ones are removed. A feed is NOT applied
when its download failed or was cut short, when most of its lines are not domains, when it is
empty, or when it shrank by more than half: a bad download never empties the store. Each such
feed is reported as failed (metric `FeedRefreshFailures`, alarmed).

Example:
    refresher = FeedRefresher(fetcher, DynamoDbDomainStore(dynamodb, table), trusted, metrics)
    reports = refresher.refresh([Feed("hagezi-anti-piracy", "https://...")])
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from takedown.clock import Clock, utc_now
from takedown.feeds.lists import read_list
from takedown.feeds.store import DomainStore
from takedown.links.exceptions import LinkError
from takedown.links.fetch import HopFetcher

MAX_FEED_BYTES = 64 * 1024 * 1024
FEED_TIMEOUT_SECONDS = 120.0
MAX_REDIRECTS = 3
MAX_REJECTED_SHARE = 0.5  # more lines that are not domains than lines that are: not a list
MAX_SHRINK = 0.5  # a feed that lost more than half its domains since yesterday is not applied


@dataclass(frozen=True)
class Feed:
    name: str  # the source recorded with every domain
    url: str


def feeds_from_json(text: str) -> tuple[Feed, ...]:
    """The DOMAIN_FEEDS setting: a JSON list of {"name": ..., "url": ...}."""
    value = json.loads(text or "[]")
    if not isinstance(value, list):
        raise ValueError("DOMAIN_FEEDS must be a JSON list")
    feeds = tuple(Feed(str(entry["name"]), str(entry["url"])) for entry in value)
    if len({feed.name for feed in feeds}) != len(feeds):
        raise ValueError("DOMAIN_FEEDS names must be unique")
    return feeds


@dataclass(frozen=True)
class FeedReport:
    name: str
    outcome: Literal["applied", "failed"]
    detail: str = ""
    domains: int = 0  # in the feed as downloaded (applied) or as kept (failed)
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    rejected_lines: int = 0
    trusted_dropped: tuple[str, ...] = ()

    def summary(self) -> dict[str, object]:
        """What the function logs: counts, and a few examples of each change."""
        return {
            "feed": self.name,
            "outcome": self.outcome,
            "detail": self.detail,
            "domains": self.domains,
            "added": len(self.added),
            "removed": len(self.removed),
            "added_examples": list(self.added[:10]),
            "removed_examples": list(self.removed[:10]),
            "rejected_lines": self.rejected_lines,
            "trusted_dropped": list(self.trusted_dropped[:20]),
        }


class FeedMetrics(Protocol):
    def feed_applied(self, name: str, domains: int, added: int, removed: int) -> None: ...

    def feed_failed(self, name: str) -> None: ...


class FeedRefresher:
    def __init__(
        self,
        fetcher: HopFetcher,
        store: DomainStore,
        trusted: frozenset[str],
        metrics: FeedMetrics,
        clock: Clock = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        timeout_seconds: float = FEED_TIMEOUT_SECONDS,
        max_bytes: int = MAX_FEED_BYTES,
    ) -> None:
        self._fetcher = fetcher
        self._store = store
        self._trusted = trusted
        self._metrics = metrics
        self._clock = clock
        self._monotonic = monotonic
        self._timeout = timeout_seconds
        self._max_bytes = max_bytes

    def refresh(self, feeds: Sequence[Feed]) -> list[FeedReport]:
        """Refresh each feed on its own: one failing leaves the others and its own entries as they were."""
        reports = [self.refresh_feed(feed) for feed in feeds]
        for report in reports:
            if report.outcome == "applied":
                self._metrics.feed_applied(report.name, report.domains, len(report.added), len(report.removed))
            else:
                self._metrics.feed_failed(report.name)
        return reports

    def refresh_feed(self, feed: Feed) -> FeedReport:
        try:
            text = self._download(feed.url)
        except LinkError as error:
            return FeedReport(feed.name, "failed", f"download failed: {error.reason}: {error}")
        listed = read_list(text, self._trusted)
        current = self._store.members(feed.name)
        refusal = None
        if not listed.domains:
            refusal = "no domains in the download"
        elif listed.rejected_share > MAX_REJECTED_SHARE:
            refusal = f"{listed.rejected_share:.0%} of its lines are not domains: not a list"
        elif current and len(listed.domains) < len(current) * (1 - MAX_SHRINK):
            refusal = f"shrank from {len(current)} to {len(listed.domains)} domains: not applied"
        if refusal is not None:
            return FeedReport(
                feed.name, "failed", refusal, len(current), (), (), listed.rejected, listed.trusted_dropped
            )
        added = tuple(sorted(listed.domains - current))
        removed = tuple(sorted(current - listed.domains))
        self._store.apply(feed.name, added, removed, self._today())
        return FeedReport(
            feed.name, "applied", "", len(listed.domains), added, removed, listed.rejected, listed.trusted_dropped
        )

    def _download(self, url: str) -> str:
        deadline = self._monotonic() + self._timeout
        for _ in range(MAX_REDIRECTS + 1):
            hop = self._fetcher.get(
                url, deadline, accept="text/plain, */*;q=0.5", read_any_type=True, max_bytes=self._max_bytes
            )
            if hop.location is not None:
                url = hop.location
                continue
            if hop.status_code != 200:
                raise LinkError(f"HTTP {hop.status_code}")
            if hop.truncated:
                raise LinkError(f"cut short at {len(hop.body)} bytes (cap {self._max_bytes}, or the deadline)")
            return hop.body.decode("utf-8", errors="replace")
        raise LinkError(f"more than {MAX_REDIRECTS} redirects")

    def _today(self) -> str:
        today: date = self._clock().date()
        return today.isoformat()
