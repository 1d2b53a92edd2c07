"""The domain feed refresh against a loopback feed server: good, truncated and malicious lists."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws

from takedown.feeds import DynamoDbDomainStore, Feed, FeedRefresher, MemoryDomainStore, feeds_from_json, read_list
from takedown.links import FeedHit, HopFetcher
from takedown_local.standins.web_standin import Route, WebStandIn
from takedown_local.template import create_tables
from tests.conftest import ROOT
from tests.links_support import StubResolver, loopback_resolver

TRUSTED = frozenset({"gov.uk", "police.uk", "ac.uk", "nhs.uk", "bbc.co.uk"})
DAY_1 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
DAY_2 = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)

GOOD_HOSTS = "\n".join(
    [
        "# StevenBlack-style hosts file",
        "127.0.0.1 localhost",
        "0.0.0.0 0.0.0.0",
        *(f"0.0.0.0 pirate{n}.example" for n in range(40)),
        "0.0.0.0 www.essex.ac.uk   # listed by substring accident",
        "0.0.0.0 crackstreams.biz",
    ]
)
GOOD_ADBLOCK = (
    "! Adblock-style\n||sportsurge.net^\n||methstreams.com^$third-party\n*.totalsportek.pro\nbuffstreams.app\n"
)


class Metrics:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def feed_applied(self, name: str, domains: int, added: int, removed: int) -> None:
        self.events.append(("applied", name))

    def feed_failed(self, name: str) -> None:
        self.events.append(("failed", name))


@pytest.fixture
def web() -> Iterator[WebStandIn]:
    with WebStandIn() as server:
        yield server


def refresher(store: Any, metrics: Metrics, day: datetime = DAY_1, max_bytes: int = 1024 * 1024) -> FeedRefresher:
    fetcher = HopFetcher(httpx.HTTPTransport(), StubResolver({"lists.example": ["127.0.0.1"]}), allow_loopback=True)
    return FeedRefresher(fetcher, store, TRUSTED, metrics, clock=lambda: day, timeout_seconds=5, max_bytes=max_bytes)


def feed(web: WebStandIn, name: str, path: str) -> Feed:
    return Feed(name, f"http://lists.example:{web.url.rsplit(':', 1)[1]}{path}")


def serve(web: WebStandIn, path: str, text: str, **headers: str) -> None:
    web.route(path, Route(body=text.encode(), headers={"Content-Type": "text/plain", **headers}))


def test_reading_hosts_files_adblock_rules_and_plain_domains() -> None:
    listed = read_list(GOOD_HOSTS + "\n" + GOOD_ADBLOCK, TRUSTED)
    assert "crackstreams.biz" in listed.domains
    assert {"sportsurge.net", "methstreams.com", "totalsportek.pro", "buffstreams.app"} <= listed.domains
    assert "localhost" not in listed.domains and "0.0.0.0" not in listed.domains
    assert listed.trusted_dropped == ("www.essex.ac.uk",)  # trusted suffixes always win


def test_a_good_feed_is_stored_with_its_source_and_first_seen_date_and_changes_are_reported(web: WebStandIn) -> None:
    store, metrics = MemoryDomainStore(), Metrics()
    serve(web, "/hosts", GOOD_HOSTS)
    [report] = refresher(store, metrics).refresh([feed(web, "stevenblack-porn", "/hosts")])
    assert report.outcome == "applied"
    assert report.domains == 41 and len(report.added) == 41 and report.removed == ()
    assert store.entries[("crackstreams.biz", "stevenblack-porn")] == "2026-11-24"
    assert report.trusted_dropped == ("www.essex.ac.uk",)
    assert ("www.essex.ac.uk", "stevenblack-porn") not in store.entries

    serve(web, "/hosts", GOOD_HOSTS.replace("0.0.0.0 pirate0.example", "0.0.0.0 newpirate.example"))
    [report] = refresher(store, metrics, DAY_2).refresh([feed(web, "stevenblack-porn", "/hosts")])
    assert (report.added, report.removed) == (("newpirate.example",), ("pirate0.example",))
    assert store.entries[("crackstreams.biz", "stevenblack-porn")] == "2026-11-24"  # first seen is kept
    assert store.entries[("newpirate.example", "stevenblack-porn")] == "2026-11-25"
    assert metrics.events == [("applied", "stevenblack-porn")] * 2
    assert report.summary()["added_examples"] == ["newpirate.example"]


def test_a_list_that_shrank_by_more_than_half_is_not_applied(web: WebStandIn) -> None:
    store, metrics = MemoryDomainStore(), Metrics()
    serve(web, "/hosts", GOOD_HOSTS)
    refresher(store, metrics).refresh([feed(web, "hosts", "/hosts")])
    serve(web, "/hosts", "\n".join(GOOD_HOSTS.splitlines()[:12]))  # cut off: 9 of 41 domains left
    [report] = refresher(store, metrics, DAY_2).refresh([feed(web, "hosts", "/hosts")])
    assert report.outcome == "failed"
    assert "shrank from 41 to 9" in report.detail
    assert len(store.members("hosts")) == 41  # the store is never emptied by a bad download
    assert metrics.events[-1] == ("failed", "hosts")


def test_a_truncated_download_is_not_applied(web: WebStandIn) -> None:
    store, metrics = MemoryDomainStore(), Metrics()
    serve(web, "/big", GOOD_HOSTS * 50)
    [report] = refresher(store, metrics, max_bytes=10_000).refresh([feed(web, "big", "/big")])
    assert report.outcome == "failed"
    assert "cut short" in report.detail
    assert store.entries == {}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<!doctype html><html><body><h1>Rate limit exceeded</h1><p>Try later</p></body></html>", "no domains"),
        ("", "no domains"),
        ("# nothing here\n", "no domains"),
        ("com\nuk\nco.uk\ngithub.io\n*\n.\n", "no domains"),  # would list everyone
        ("0.0.0.0 ok.example\n" + "<script>alert(1)</script>\n" * 5 + "x" * 100_000 + "\n", "not domains"),
    ],
)
def test_a_malicious_or_broken_list_is_refused(web: WebStandIn, body: str, reason: str) -> None:
    store, metrics = MemoryDomainStore({("kept.example", "bad"): "2026-01-01"}), Metrics()
    serve(web, "/bad", body)
    [report] = refresher(store, metrics).refresh([feed(web, "bad", "/bad")])
    assert report.outcome == "failed"
    assert reason in report.detail
    assert store.entries == {("kept.example", "bad"): "2026-01-01"}


def test_a_list_cannot_plant_trusted_names_or_bare_suffixes() -> None:
    listed = read_list("gov.uk\nwww.gov.uk\nsussex.police.uk\nbbc.co.uk\nco.uk\npirate.example\n", TRUSTED)
    assert listed.domains == frozenset({"pirate.example"})


def test_a_failing_feed_leaves_the_others_to_refresh(web: WebStandIn) -> None:
    store, metrics = MemoryDomainStore(), Metrics()
    serve(web, "/good", GOOD_ADBLOCK)
    web.route("/down", Route(status=503, body=b"unavailable"))
    reports = refresher(store, metrics).refresh(
        [feed(web, "down", "/down"), feed(web, "good", "/good"), Feed("unreachable", "http://nowhere.example/x")]
    )
    assert [r.outcome for r in reports] == ["failed", "applied", "failed"]
    assert "HTTP 503" in reports[0].detail
    assert "dns" in reports[2].detail
    assert len(store.members("good")) == 4


def test_a_feed_cannot_aim_the_downloader_at_private_addresses() -> None:
    fetcher = HopFetcher(httpx.HTTPTransport(), StubResolver({"lists.example": ["10.0.0.9"]}))
    report = FeedRefresher(fetcher, MemoryDomainStore(), TRUSTED, Metrics()).refresh_feed(
        Feed("x", "https://lists.example/list.txt")
    )
    assert report.outcome == "failed" and "10.0.0.9 (private)" in report.detail


def test_feeds_setting() -> None:
    assert feeds_from_json('[{"name": "a", "url": "https://x.example/a"}]') == (Feed("a", "https://x.example/a"),)
    with pytest.raises(ValueError, match="unique"):
        feeds_from_json('[{"name": "a", "url": "u"}, {"name": "a", "url": "v"}]')


def test_the_dynamodb_store_diffs_and_looks_up_on_moto(web: WebStandIn) -> None:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        tables = create_tables(dynamodb, ROOT / "template.yaml", prefix="t-")
        store = DynamoDbDomainStore(dynamodb, tables["DomainsTable"], sources=("hagezi", "blp"))
        serve(web, "/a", GOOD_ADBLOCK)
        serve(web, "/b", "sportsurge.net\nother.example\n")
        refresher(store, Metrics()).refresh([feed(web, "hagezi", "/a"), feed(web, "blp", "/b")])
        assert store.members("hagezi") == {"sportsurge.net", "methstreams.com", "totalsportek.pro", "buffstreams.app"}
        hits = store.lookup(["sportsurge.net", "live.sportsurge.net", "innocent.example"])
        assert hits == {
            "sportsurge.net": [
                FeedHit("sportsurge.net", "blp", "2026-11-24"),
                FeedHit("sportsurge.net", "hagezi", "2026-11-24"),
            ]
        }


def test_feed_hits_reach_the_landing_page_and_trusted_names_win(web: WebStandIn) -> None:
    web.redirect("/s", f"http://live.sportsurge.net:{web.url.rsplit(':', 1)[1]}/watch")
    web.route("/watch", Route(body=b"<title>Watch</title>", headers={"Content-Type": "text/html"}))
    store = MemoryDomainStore({("sportsurge.net", "hagezi"): "2026-11-01", ("essex.ac.uk", "ut1"): "2026-01-01"})
    resolver = loopback_resolver(["short.example", "live.sportsurge.net"], domains=store)
    port = web.url.rsplit(":", 1)[1]
    page, trusted = resolver.resolve_all(
        [f"http://short.example:{port}/s", "https://www.essex.ac.uk/"], trusted_domains=frozenset({"ac.uk"})
    )
    assert page.feed_hits == (FeedHit("sportsurge.net", "hagezi", "2026-11-01"),)
    assert "listed: sportsurge.net on hagezi since 2026-11-01" in page.evidence
    assert trusted.outcome == "skipped" and trusted.feed_hits == ()
