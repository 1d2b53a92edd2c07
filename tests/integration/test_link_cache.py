"""The link cache and the domain store on DynamoDB Local, with the template's own tables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from takedown.feeds import DynamoDbDomainStore
from takedown.links import DynamoDbLinkCache, FeedHit, LandingPage
from takedown_local.standins.web_standin import SAMPLE_PAGES, WebStandIn
from tests.links_support import loopback_resolver

pytestmark = [pytest.mark.integration]


@pytest.fixture
def web() -> Iterator[WebStandIn]:
    with WebStandIn() as server:
        server.page("/cams", SAMPLE_PAGES["rta_label"])
        yield server


def test_a_link_reposted_by_ten_accounts_is_fetched_once(
    dynamodb: Any, tables: dict[str, str], web: WebStandIn
) -> None:
    cache = DynamoDbLinkCache(dynamodb, tables["LinkCacheTable"], ttl_seconds=3600)
    url = f"http://cams.example:{web.url.rsplit(':', 1)[1]}/cams"
    pages = [loopback_resolver(["cams.example"], cache=cache).resolve_all([url])[0] for _ in range(10)]
    assert web.hits("/cams") == 1
    assert all(page == pages[0] for page in pages)
    assert pages[0].rta_label
    item = dynamodb.scan(TableName=tables["LinkCacheTable"])["Items"][0]
    assert item["url"]["S"] == url and int(item["expires_at"]["N"]) > 0


def test_an_expired_entry_is_a_miss(dynamodb: Any, tables: dict[str, str]) -> None:
    now = [1_000_000.0]
    cache = DynamoDbLinkCache(dynamodb, tables["LinkCacheTable"], ttl_seconds=60, clock=lambda: now[0])
    page = LandingPage("https://a.example/", ("https://a.example/",), "page", final_host="a.example", title="A")
    cache.put_many([page])
    assert cache.get_many([page.url]) == {page.url: page}
    now[0] += 61
    assert cache.get_many([page.url]) == {}


def test_the_domain_store_keeps_source_and_first_seen(dynamodb: Any, tables: dict[str, str]) -> None:
    store = DynamoDbDomainStore(dynamodb, tables["DomainsTable"], sources=("hagezi", "blp"))
    store.apply("hagezi", [f"pirate{n}.example" for n in range(60)], [], "2026-11-24")
    store.apply("blp", ["pirate1.example"], [], "2026-11-25")
    store.apply("hagezi", [], ["pirate0.example"], "2026-11-25")
    assert len(store.members("hagezi")) == 59
    assert store.lookup(["pirate0.example", "pirate1.example", "www.pirate1.example"]) == {
        "pirate1.example": [
            FeedHit("pirate1.example", "blp", "2026-11-25"),
            FeedHit("pirate1.example", "hagezi", "2026-11-24"),
        ]
    }
