"""Follow the link: shorteners and redirects resolved, the landing page read, safely and quickly.

Each posted URL becomes a `LandingPage`: the chain of hops, how it ended, and the final page's
evidence (title, description, Open Graph, the RTA label and rating, age gate, video player,
HLS/DASH manifest, live wording, text for the judgement, public-list hits). The fetcher only goes
to public addresses, checked after DNS on every hop (see `addresses`), sends no cookies or
credentials, reads at most 256 KiB of HTML, and the whole post gets a 1.5 s budget.

Example:
    resolver = LinkResolver(HopFetcher(httpx.HTTPTransport(), SystemResolver()), MemoryLinkCache())
    for page in resolver.resolve_all(["https://bit.ly/3fUryUsyk"]):
        print(page.chain, page.outcome, page.evidence)
"""

from takedown.links.addresses import HostResolver, SystemResolver, address_class, vet_host
from takedown.links.cache import DynamoDbLinkCache, LinkCache, MemoryLinkCache
from takedown.links.exceptions import (
    AddressRefusedError,
    BudgetExceededError,
    LinkError,
    PortRefusedError,
    RefusedError,
    SchemeRefusedError,
    UnresolvableError,
)
from takedown.links.fetch import MAX_BODY_BYTES, USER_AGENT, Hop, HopFetcher
from takedown.links.page import RTA_LABEL, FeedHit, LandingPage, PageEvidence, read_html
from takedown.links.resolver import DEFAULT_BUDGET_SECONDS, DEFAULT_MAX_HOPS, DomainLookup, LinkResolver

__all__ = [
    "DEFAULT_BUDGET_SECONDS",
    "DEFAULT_MAX_HOPS",
    "MAX_BODY_BYTES",
    "RTA_LABEL",
    "USER_AGENT",
    "AddressRefusedError",
    "BudgetExceededError",
    "DomainLookup",
    "DynamoDbLinkCache",
    "FeedHit",
    "Hop",
    "HopFetcher",
    "HostResolver",
    "LandingPage",
    "LinkCache",
    "LinkError",
    "LinkResolver",
    "MemoryLinkCache",
    "PageEvidence",
    "PortRefusedError",
    "RefusedError",
    "SchemeRefusedError",
    "SystemResolver",
    "UnresolvableError",
    "address_class",
    "read_html",
    "vet_host",
]
