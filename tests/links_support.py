"""Shared by the link and feed tests: a resolver stub (DNS is offline here) and a resolver on loopback."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx

from takedown.links import HopFetcher, LinkCache, LinkResolver, UnresolvableError


class StubResolver:
    """Names to the addresses a test says; anything else does not resolve. Counts look-ups."""

    def __init__(self, answers: Mapping[str, Sequence[str]]) -> None:
        self.answers = dict(answers)
        self.asked: list[str] = []

    def addresses(self, host: str, port: int) -> Sequence[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise UnresolvableError(f"{host}: not in the stub")
        return self.answers[host]


def loopback_resolver(
    names: Sequence[str],
    cache: LinkCache | None = None,
    budget_seconds: float = 1.5,
    max_hops: int = 5,
    max_body_bytes: int = 256 * 1024,
    **kwargs: object,
) -> LinkResolver:
    """A resolver whose `names` all resolve to 127.0.0.1, with loopback explicitly allowed."""
    fetcher = HopFetcher(
        httpx.HTTPTransport(retries=0),
        StubResolver({name: ["127.0.0.1"] for name in names}),
        allow_loopback=True,
        max_body_bytes=max_body_bytes,
    )
    return LinkResolver(fetcher, cache, budget_seconds=budget_seconds, max_hops=max_hops, **kwargs)  # type: ignore[arg-type]
