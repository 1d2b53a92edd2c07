"""Link resolution against loopback servers: chains, loops, limits, slow and hanging servers, and
what landing pages say (RTA label, HLS players, age gates, benign pages)."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import pytest

from takedown.links import USER_AGENT, LandingPage, MemoryLinkCache
from takedown.links.page import read_html
from takedown_local.standins.web_standin import SAMPLE_PAGES, Route, WebStandIn
from tests.links_support import loopback_resolver

NAMES = ("short.example", "hub.example", "fight.example", "cams.example", "council.example")


@pytest.fixture
def web() -> Iterator[WebStandIn]:
    with WebStandIn() as server:
        yield server


def at(web: WebStandIn, host: str, path: str) -> str:
    return f"http://{host}:{web.url.rsplit(':', 1)[1]}{path}"


def test_a_shortener_chain_through_a_link_hub_and_a_js_redirect_lands_on_the_stream(web: WebStandIn) -> None:
    web.redirect("/s/abc", at(web, "hub.example", "/hub"), status=301)
    web.page("/hub", SAMPLE_PAGES["link_hub"])  # meta refresh to /fight... via the JS page
    web.page("/fight", SAMPLE_PAGES["js_redirect"].replace("/fight", at(web, "fight.example", "/live")))
    web.page("/live", SAMPLE_PAGES["hls_player"])
    web.route("/hub", Route(body=SAMPLE_PAGES["link_hub"].encode(), headers={"Content-Type": "text/html"}))

    [page] = loopback_resolver(NAMES).resolve_all([at(web, "short.example", "/s/abc")])

    assert page.outcome == "page"
    assert page.chain == (
        at(web, "short.example", "/s/abc"),
        at(web, "hub.example", "/hub"),
        at(web, "hub.example", "/fight"),
        at(web, "fight.example", "/live"),
    )
    assert page.final_host == "fight.example"
    assert page.final_url == at(web, "fight.example", "/live")
    assert (page.video_player, page.manifest, page.live_words) == (True, True, True)
    assert page.title == "Joshua v Takam LIVE stream HD"
    assert page.og["title"] == "Watch Joshua v Takam live free"
    assert "HLS/DASH manifest" in page.evidence


def test_every_request_is_honest_and_carries_no_cookie_or_credentials(web: WebStandIn) -> None:
    web.route("/set", Route(status=302, headers={"Location": "/page", "Set-Cookie": "session=abc; Path=/"}))
    web.page("/page", SAMPLE_PAGES["benign"])
    url = at(web, "council.example", "/set").replace("http://", "http://user:secret@")

    [page] = loopback_resolver(NAMES).resolve_all([url])

    assert page.outcome == "page"
    for _, headers in web.requests:
        assert headers["User-Agent"] == USER_AGENT
        assert "Cookie" not in headers
        assert "Authorization" not in headers
        assert headers["Host"].startswith("council.example:")


def test_a_redirect_loop_ends_as_a_loop(web: WebStandIn) -> None:
    web.redirect("/a", "/b")
    web.redirect("/b", "/a")
    [page] = loopback_resolver(NAMES).resolve_all([at(web, "short.example", "/a")])
    assert page.outcome == "loop"
    assert page.chain[-1] == at(web, "short.example", "/a")
    assert web.hits("/a") == 1


def test_the_hop_limit_stops_a_long_chain(web: WebStandIn) -> None:
    for hop in range(10):
        web.redirect(f"/{hop}", f"/{hop + 1}")
    web.page("/10", SAMPLE_PAGES["benign"])
    [page] = loopback_resolver(NAMES, max_hops=3).resolve_all([at(web, "short.example", "/0")])
    assert page.outcome == "hop_limit"
    assert len(page.chain) == 4  # the posted URL and three redirects
    assert web.hits("/4") == 0
    [page] = loopback_resolver(NAMES, max_hops=10).resolve_all([at(web, "short.example", "/0")])
    assert page.outcome == "page"


def test_a_page_larger_than_the_cap_is_read_up_to_the_cap(web: WebStandIn) -> None:
    filler = "<p>" + "x" * 1000 + "</p>"
    web.page("/big", "<html><head><title>Big</title></head><body>" + filler * 2000 + "RTA-5042-1996-1400-1577-RTA")
    [page] = loopback_resolver(NAMES, max_body_bytes=64 * 1024).resolve_all([at(web, "cams.example", "/big")])
    assert page.outcome == "page"
    assert page.truncated
    assert page.title == "Big"
    assert not page.rta_label  # beyond the cap: never read


def test_a_gzip_bomb_inflates_no_further_than_the_cap(web: WebStandIn) -> None:
    bomb = gzip.compress(b"<html><body>" + b" " * (200 * 1024 * 1024))
    web.route("/bomb", Route(body=bomb, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}))
    [page] = loopback_resolver(NAMES).resolve_all([at(web, "cams.example", "/bomb")])
    assert page.outcome == "page"
    assert page.truncated


def test_a_hanging_server_costs_the_budget_and_no_more_and_the_other_links_still_count(web: WebStandIn) -> None:
    web.page("/hang", SAMPLE_PAGES["benign"], delay_seconds=30)
    web.page("/cams", SAMPLE_PAGES["rta_label"])
    resolver = loopback_resolver(NAMES, budget_seconds=0.5)
    started = time.monotonic()
    hanging, cams = resolver.resolve_all([at(web, "fight.example", "/hang"), at(web, "cams.example", "/cams")])
    elapsed = time.monotonic() - started
    assert elapsed < 5  # the budget, with room for a loaded machine; the server would take 30 s
    assert hanging.outcome == "timeout"
    assert hanging.evidence == ()  # a timeout is evidence of nothing
    assert cams.outcome == "page" and cams.rta_label


def test_a_server_trickling_its_body_is_cut_at_the_deadline(web: WebStandIn) -> None:
    web.page("/slow", "<title>Slow</title>" + " " * 3000, trickle_seconds=0.01)
    started = time.monotonic()
    [page] = loopback_resolver(NAMES, budget_seconds=0.4).resolve_all([at(web, "fight.example", "/slow")])
    assert time.monotonic() - started < 5  # the budget, with room; the whole body would take 30 s
    assert page.outcome in {"page", "timeout"}
    if page.outcome == "page":
        assert page.truncated


def test_links_are_resolved_in_parallel(web: WebStandIn) -> None:
    for index in range(6):
        web.page(f"/p{index}", SAMPLE_PAGES["benign"], delay_seconds=1.0)
    started = time.monotonic()
    resolver = loopback_resolver(NAMES, budget_seconds=4.0)
    pages = resolver.resolve_all([at(web, "council.example", f"/p{i}") for i in range(6)])
    assert time.monotonic() - started < 4.0  # six 1 s pages side by side, not 6 s one after another
    assert [page.outcome for page in pages] == ["page"] * 6


def test_errors_and_unresolvable_names_are_evidence_of_nothing(web: WebStandIn) -> None:
    pages = loopback_resolver(NAMES).resolve_all(
        [at(web, "cams.example", "/missing"), "http://nowhere.example/", "ftp://cams.example/x"]
    )
    assert [page.outcome for page in pages] == ["error", "error", "refused"]
    assert pages[0].status_code == 404
    assert pages[1].detail.startswith("dns:")
    assert pages[2].detail.startswith("scheme:")
    assert all(not page.rta_label and not page.manifest for page in pages)


def test_trusted_and_x_links_are_not_fetched(web: WebStandIn) -> None:
    resolver = loopback_resolver(NAMES, trusted_domains=frozenset({"police.uk"}))
    pages = resolver.resolve_all(
        ["https://www.sussex.police.uk/appeal", "https://x.com/i/web/status/1", at(web, "council.example", "/x")],
        trusted_domains=frozenset({"council.example"}),
    )
    assert [page.outcome for page in pages] == ["skipped", "skipped", "skipped"]
    assert web.requests == []


def test_the_cache_answers_the_second_time(web: WebStandIn) -> None:
    web.page("/cams", SAMPLE_PAGES["rta_label"])
    cache = MemoryLinkCache()
    resolver = loopback_resolver(NAMES, cache=cache)
    first = resolver.resolve_all([at(web, "cams.example", "/cams")])
    second = resolver.resolve_all([at(web, "cams.example", "/cams")])
    assert first == second
    assert web.hits("/cams") == 1


def test_a_timeout_is_not_cached(web: WebStandIn) -> None:
    web.page("/hang", SAMPLE_PAGES["benign"], delay_seconds=1)
    cache = MemoryLinkCache()
    loopback_resolver(NAMES, cache=cache, budget_seconds=0.2).resolve_all([at(web, "fight.example", "/hang")])
    assert cache.get_many([at(web, "fight.example", "/hang")]) == {}


def test_a_manifest_link_is_told_by_its_type(web: WebStandIn) -> None:
    web.route("/live/index.m3u8", Route(body=b"#EXTM3U\n", headers={"Content-Type": "application/vnd.apple.mpegurl"}))
    web.redirect("/s/m", "/live/index.m3u8")
    [page] = loopback_resolver(NAMES).resolve_all([at(web, "short.example", "/s/m")])
    assert page.outcome == "not_html"
    assert page.manifest


def test_a_landing_page_round_trips_through_its_record(web: WebStandIn) -> None:
    web.page("/cams", SAMPLE_PAGES["rta_label"])
    [page] = loopback_resolver(NAMES).resolve_all([at(web, "cams.example", "/cams")])
    assert LandingPage.from_record(page.to_record()) == page


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("rta_label", {"rta_label": True, "age_gate": True, "video_player": True, "manifest": False}),
        ("hls_player", {"rta_label": False, "video_player": True, "manifest": True, "live_words": True}),
        ("dash_player", {"video_player": True, "manifest": True, "live_words": True}),
        ("age_gate", {"rta_label": False, "age_gate": True, "video_player": False}),
        (
            "benign",
            {"rta_label": False, "age_gate": False, "video_player": False, "manifest": False, "live_words": False},
        ),
    ],
)
def test_page_evidence(sample: str, expected: dict[str, bool]) -> None:
    evidence, redirect = read_html(SAMPLE_PAGES[sample].encode(), "https://site.example/page")
    assert redirect is None
    for name, value in expected.items():
        assert getattr(evidence, name) is value, name


def test_rating_meta_and_open_graph() -> None:
    evidence, _ = read_html(SAMPLE_PAGES["rta_label"].encode(), "https://site.example/")
    assert evidence.rating == "rta-5042-1996-1400-1577-rta"
    assert evidence.og == {"title": "Hot cams", "type": "video.other"}
    assert evidence.description == "Free adult videos, updated daily"
    benign, _ = read_html(SAMPLE_PAGES["benign"].encode(), "https://site.example/")
    assert "Missing person appeal" in benign.text and "call 999" in benign.text


@pytest.mark.parametrize(
    ("html", "target"),
    [
        ('<meta http-equiv="refresh" content="0;URL=\'https://b.example/x\'">', "https://b.example/x"),
        ('<meta http-equiv="REFRESH" content="3; url=/next">', "https://a.example/next"),
        ("<script>location = 'https://b.example/y'</script>", "https://b.example/y"),
        ('<script>window.location.replace("/z")</script>', "https://a.example/z"),
        ('<script>top.location.href="https://b.example/t";</script>', "https://b.example/t"),
        ('<meta http-equiv="refresh" content="30">', None),  # reloads itself
        ("<script src='/app.js'></script><p>location = 'nowhere'</p>", None),  # not a script's text
    ],
)
def test_redirects_a_browser_follows_without_a_click(html: str, target: str | None) -> None:
    assert read_html(html.encode(), "https://a.example/page")[1] == target
