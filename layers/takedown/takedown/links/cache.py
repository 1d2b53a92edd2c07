"""Landing pages cached per URL, so a link retweeted by ten accounts is fetched once.

The DynamoDB cache keys each page by the SHA-256 of its URL (URLs can outgrow a key) and lets the
table's TTL (`expires_at`) drop it. Only outcomes that say something stable are kept (a page, a
non-HTML answer, a refusal, a loop, too many hops): a timeout or a network error is tried again
next time.

Example:
    cache = DynamoDbLinkCache(dynamodb, "takedown-links", ttl_seconds=6 * 3600)
    cache.put_many([page]); cache.get_many([page.url])
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from takedown.links.page import LandingPage

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient

CACHEABLE = frozenset({"page", "not_html", "refused", "loop", "hop_limit"})
DEFAULT_TTL_SECONDS = 6 * 3600
_BATCH_GET = 100
_BATCH_WRITE = 25
_ROUNDS = 3


class LinkCache(Protocol):
    def get_many(self, urls: Sequence[str]) -> dict[str, LandingPage]: ...

    def put_many(self, pages: Iterable[LandingPage]) -> None: ...


@dataclass
class MemoryLinkCache:
    """For one process: the CLI, tests and benchmarks."""

    ttl_seconds: float = DEFAULT_TTL_SECONDS
    clock: Callable[[], float] = time.monotonic
    _pages: dict[str, tuple[float, LandingPage]] = field(default_factory=dict, init=False, repr=False)

    def get_many(self, urls: Sequence[str]) -> dict[str, LandingPage]:
        now = self.clock()
        fresh = {url: self._pages.get(url) for url in urls}
        return {url: entry[1] for url, entry in fresh.items() if entry is not None and entry[0] > now}

    def put_many(self, pages: Iterable[LandingPage]) -> None:
        for page in pages:
            if page.outcome in CACHEABLE:
                self._pages[page.url] = (self.clock() + self.ttl_seconds, page)


@dataclass
class DynamoDbLinkCache:
    """The link cache table (template.yaml LinkCacheTable), through a low-level DynamoDB client."""

    dynamodb: DynamoDBClient
    table_name: str
    ttl_seconds: int = DEFAULT_TTL_SECONDS
    clock: Callable[[], float] = time.time

    def get_many(self, urls: Sequence[str]) -> dict[str, LandingPage]:
        found: dict[str, LandingPage] = {}
        keys = {url_key(url): url for url in dict.fromkeys(urls)}
        pending = [{"url_key": {"S": key}} for key in keys]
        now = int(self.clock())
        for start in range(0, len(pending), _BATCH_GET):
            request: dict[str, Any] = {self.table_name: {"Keys": pending[start : start + _BATCH_GET]}}
            for _ in range(_ROUNDS):  # unprocessed keys (throttling) are retried a few times, then missed
                if not request:
                    break
                answer = self.dynamodb.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self.table_name, []):
                    if int(item["expires_at"]["N"]) > now:  # TTL deletion lags: an expired item is a miss
                        found[keys[item["url_key"]["S"]]] = LandingPage.from_record(json.loads(item["page"]["S"]))
                request = answer.get("UnprocessedKeys") or {}
        return found

    def put_many(self, pages: Iterable[LandingPage]) -> None:
        expires_at = str(int(self.clock()) + self.ttl_seconds)
        items = {
            url_key(page.url): {
                "PutRequest": {
                    "Item": {
                        "url_key": {"S": url_key(page.url)},
                        "url": {"S": page.url[:2048]},
                        "page": {"S": json.dumps(page.to_record(), ensure_ascii=False)},
                        "expires_at": {"N": expires_at},
                    }
                }
            }
            for page in pages
            if page.outcome in CACHEABLE
        }
        writes = list(items.values())
        for start in range(0, len(writes), _BATCH_WRITE):
            request: dict[str, Any] = {self.table_name: writes[start : start + _BATCH_WRITE]}
            for _ in range(_ROUNDS):  # a page not cached is only fetched again
                if not request:
                    break
                request = self.dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()
