"""Repost.from_event on X's real samples: where the text, links and original author hide."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from takedown.repost import Repost
from takedown.webhook import read_delivery
from tests.conftest import EVENTS, FIXTURES

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def _as_aaa_delivery(tweet: dict) -> Repost:
    envelope = {"for_user_id": tweet["user"]["id_str"], "tweet_create_events": [tweet]}
    (post,) = read_delivery(json.dumps(envelope), NOW).posts
    return Repost.from_event(post)


def test_retweet_links_that_hide_in_the_originals_extended_entities() -> None:
    tweet = json.loads((FIXTURES / "gnip_native_enriched_retweet.json").read_text())
    assert tweet["entities"]["urls"] == []  # X's own sample: nothing at the root
    repost = _as_aaa_delivery(tweet)
    original = tweet["retweeted_status"]
    assert (repost.kind, repost.by_account, repost.source_post_id) == ("retweet", True, original["id_str"])
    assert original["extended_tweet"]["entities"]["urls"][0]["expanded_url"] in repost.urls
    assert repost.text == original["extended_tweet"]["full_text"]
    assert repost.source_author and repost.source_author.handle == original["user"]["screen_name"]
    assert repost.source_post_url == f"https://x.com/{original['user']['screen_name']}/status/{original['id_str']}"


def test_quote_reads_both_the_accounts_words_and_the_quoted_post() -> None:
    tweet = json.loads((FIXTURES / "gnip_native_enriched_quote_tweet.json").read_text())
    repost = _as_aaa_delivery(tweet)
    assert repost.kind == "quote"
    assert tweet["quoted_status"]["text"][:30] in repost.text
    assert repost.source_post_id == tweet["quoted_status"]["id_str"]


def test_x_activity_repost_resolves_the_original_from_includes() -> None:
    body = json.loads((EVENTS / "webhook_xaa_post_create_repost.json").read_text())["body"]
    (post,) = read_delivery(body, NOW).candidates
    repost = Repost.from_event(post)
    assert repost.source_author and repost.source_author.handle == "fightnightlive"
    assert "https://methstreams.live/boxing-streams/fury-usyk-3" in repost.urls  # unwound_url
    assert "https://bit.ly/3fUryUsyk" in repost.urls
    assert repost.posted_at == datetime(2026, 11, 21, 20, 14, 3, tzinfo=UTC)


def test_v1_created_at_is_parsed_with_its_offset() -> None:
    body = json.loads((EVENTS / "webhook_aaa_retweet_illegal_stream.json").read_text())["body"]
    (post,) = read_delivery(body, NOW).candidates
    assert Repost.from_event(post).posted_at == datetime(2017, 10, 28, 21, 43, 10, tzinfo=UTC)
