"""The domain store: every public list's domains, each with its source and the date it first appeared.

DynamoDB (template.yaml DomainsTable): one item per (domain, source), `first_seen` an ISO date; the
`by_source` index gives a source's current members for the daily diff. Lookups ask for every
(name, source) pair in one BatchGetItem, so the inspector pays one round trip per post.

Example:
    store = DynamoDbDomainStore(dynamodb, "takedown-domains", sources=("hagezi-anti-piracy",))
    store.lookup(["live.crackstreams.biz", "crackstreams.biz"])
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from takedown.links.page import FeedHit

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient

_BATCH_GET = 100
_BATCH_WRITE = 25
_ROUNDS = 8


class DomainStore(Protocol):
    def members(self, source: str) -> set[str]: ...

    def apply(self, source: str, added: Iterable[str], removed: Iterable[str], today: str) -> None: ...

    def lookup(self, names: Iterable[str]) -> dict[str, list[FeedHit]]: ...


@dataclass
class MemoryDomainStore:
    """For tests and the CLI: (domain, source) -> first_seen."""

    entries: dict[tuple[str, str], str] = field(default_factory=dict)

    def members(self, source: str) -> set[str]:
        return {domain for domain, listed_by in self.entries if listed_by == source}

    def apply(self, source: str, added: Iterable[str], removed: Iterable[str], today: str) -> None:
        for domain in removed:
            self.entries.pop((domain, source), None)
        for domain in added:
            self.entries.setdefault((domain, source), today)

    def lookup(self, names: Iterable[str]) -> dict[str, list[FeedHit]]:
        wanted = set(names)
        hits: dict[str, list[FeedHit]] = {}
        for (domain, source), first_seen in sorted(self.entries.items()):
            if domain in wanted:
                hits.setdefault(domain, []).append(FeedHit(domain, source, first_seen))
        return hits


@dataclass
class DynamoDbDomainStore:
    dynamodb: DynamoDBClient
    table_name: str
    sources: Sequence[str] = ()  # the configured feeds' names: what lookup asks for

    def members(self, source: str) -> set[str]:
        found: set[str] = set()
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": "by_source",
            "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": "source"},
            "ExpressionAttributeValues": {":s": {"S": source}},
        }
        while True:
            page = self.dynamodb.query(**kwargs)
            found.update(item["domain"]["S"] for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def apply(self, source: str, added: Iterable[str], removed: Iterable[str], today: str) -> None:
        writes: list[dict[str, Any]] = [
            {"DeleteRequest": {"Key": {"domain": {"S": domain}, "source": {"S": source}}}} for domain in removed
        ]
        writes += [
            {"PutRequest": {"Item": {"domain": {"S": domain}, "source": {"S": source}, "first_seen": {"S": today}}}}
            for domain in added
        ]
        for start in range(0, len(writes), _BATCH_WRITE):
            self._write({self.table_name: writes[start : start + _BATCH_WRITE]})

    def _write(self, request: dict[str, Any]) -> None:
        for attempt in range(_ROUNDS):
            request = self.dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
            if not request:
                return
            time.sleep(min(2.0, 0.05 * 2**attempt))  # throttled: back off, then try what was left
        raise RuntimeError(f"{self.table_name}: writes still unprocessed after {_ROUNDS} tries")

    def lookup(self, names: Iterable[str]) -> dict[str, list[FeedHit]]:
        keys = [
            {"domain": {"S": name}, "source": {"S": source}} for name in dict.fromkeys(names) for source in self.sources
        ]
        hits: dict[str, list[FeedHit]] = {}
        for start in range(0, len(keys), _BATCH_GET):
            request: dict[str, Any] = {self.table_name: {"Keys": keys[start : start + _BATCH_GET]}}
            for _ in range(3):
                if not request:
                    break
                answer = self.dynamodb.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self.table_name, []):
                    hit = FeedHit(item["domain"]["S"], item["source"]["S"], item["first_seen"]["S"])
                    hits.setdefault(hit.host, []).append(hit)
                request = answer.get("UnprocessedKeys") or {}
        for found in hits.values():
            found.sort(key=lambda hit: hit.source)
        return hits
