"""Added latency per post with link resolution: p50/p99, uncached and cached, on loopback servers.

Each post has two links: a shortener that redirects (302) to a landing page, and a link hub whose
meta refresh leads to a player page. The loopback servers answer at once, so the figures are the
resolver's own cost (vetting, requests, parsing), not the internet's; the cached run is one
in-memory cache hit per link (the Lambda reads DynamoDB: add one BatchGetItem round trip).
"""

from __future__ import annotations

import json
import statistics
import time

import httpx

from takedown.links import HopFetcher, LinkResolver, MemoryLinkCache
from takedown_local.standins.web_standin import SAMPLE_PAGES, WebStandIn

POSTS = 300


class LoopbackNames:
    """DNS is not part of the figure (and offline here): every name is 127.0.0.1."""

    def addresses(self, host: str, port: int) -> list[str]:
        return ["127.0.0.1"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def figure(name: str, values: list[float], context: str) -> None:
    print(
        json.dumps(
            {
                "figure": name,
                "p50_ms": round(percentile(values, 0.50), 2),
                "p99_ms": round(percentile(values, 0.99), 2),
                "mean_ms": round(statistics.fmean(values), 2),
                "unit": "ms per post",
                "posts": len(values),
                "context": context,
            }
        )
    )


def main() -> None:
    with WebStandIn() as web:
        port = web.url.rsplit(":", 1)[1]
        for n in range(POSTS):
            web.redirect(f"/s/{n}", f"http://land.example:{port}/p/{n}")
            web.page(f"/p/{n}", SAMPLE_PAGES["rta_label"])
            web.page(f"/hub/{n}", SAMPLE_PAGES["link_hub"].replace("/fight", f"/live/{n}"))
            web.page(f"/live/{n}", SAMPLE_PAGES["hls_player"])
        cache = MemoryLinkCache()
        fetcher = HopFetcher(httpx.HTTPTransport(retries=0), LoopbackNames(), allow_loopback=True)
        resolver = LinkResolver(fetcher, cache)
        posts = [(f"http://short.example:{port}/s/{n}", f"http://hub.example:{port}/hub/{n}") for n in range(POSTS)]
        resolver.resolve_all([f"http://short.example:{port}/p/0"])  # warm: threads, the parser's import
        for label in ("uncached", "cached"):
            timings = []
            for urls in posts:
                started = time.perf_counter()
                pages = resolver.resolve_all(list(urls))
                timings.append((time.perf_counter() - started) * 1000)
                assert all(page.outcome == "page" for page in pages), pages
            figure(
                f"link_resolution_{label}",
                timings,
                "2 links per post (302 -> page; meta refresh -> HLS page), loopback servers, budget 1.5 s",
            )


if __name__ == "__main__":
    main()
