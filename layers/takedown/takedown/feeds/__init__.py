"""Public domain lists (pirate streams, adult sites), fetched daily into a store, never committed.

Their licences (GPL, CC BY-SA) are why they are downloaded at run time: each entry keeps its
source and the date it first appeared. A list hit is strong evidence, never a verdict alone, and
trusted names (gov.uk, police.uk, nhs.uk, ac.uk, licensed broadcasters, each account's own
trusted domains) always win.

Example:
    reports = FeedRefresher(fetcher, store, trusted, metrics).refresh(feeds_from_json(os.environ["DOMAIN_FEEDS"]))
"""

from takedown.feeds.lists import DomainList, read_list
from takedown.feeds.refresh import Feed, FeedMetrics, FeedRefresher, FeedReport, feeds_from_json
from takedown.feeds.store import DomainStore, DynamoDbDomainStore, MemoryDomainStore

__all__ = [
    "DomainList",
    "DomainStore",
    "DynamoDbDomainStore",
    "Feed",
    "FeedMetrics",
    "FeedRefresher",
    "FeedReport",
    "MemoryDomainStore",
    "feeds_from_json",
    "read_list",
]
