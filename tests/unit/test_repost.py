"""Repost.from_event on real X payloads: the original's id, full text, every URL, author, times."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from takedown.repost import Repost
from takedown.webhook import read_delivery
from tests.conftest import FIXTURES

RECEIVED = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def repost_of(envelope: dict[str, Any] | str) -> Repost:
    body = envelope if isinstance(envelope, str) else json.dumps(envelope)
    (post,) = read_delivery(body, RECEIVED).posts
    return Repost.from_event(post)


def aaa(tweet: dict[str, Any], for_user_id: str | None = None) -> dict[str, Any]:
    """Wrap a v1.1 tweet as AAA delivers it; by default to its own author (the account reposted)."""
    return {"for_user_id": for_user_id or tweet["user"]["id_str"], "tweet_create_events": [tweet]}


def test_real_retweet_names_the_original_and_its_author() -> None:
    repost = repost_of((FIXTURES / "CONSTRUCTED_aaa_tweet_create_events_retweet_by_subscribed_user.json").read_text())
    assert (repost.kind, repost.by_account) == ("retweet", True)
    assert repost.account_id == "1072250532645998596"
    assert repost.source_post_id == "266367358078169089" != repost.post_id
    assert repost.source_author is not None and repost.source_author.handle == "Twitter"
    assert repost.source_author.followers == 58917395
    assert repost.source_post_url == "https://x.com/Twitter/status/266367358078169089"
    assert repost.posted_at == datetime(2021, 1, 15, 6, 38, 38, tzinfo=UTC)
    assert repost.text.startswith("RT @TwitterEng: Bolstering our infrastructure.")


def test_retweet_reads_the_extended_text_and_its_links() -> None:
    tweet = fixture("gnip_native_enriched_retweet.json")
    assert tweet["entities"]["urls"] == []  # the link is only in retweeted_status.extended_tweet
    repost = repost_of(aaa(tweet))
    assert repost.source_post_id == "1229843515603144704"
    assert "Check it out here" in repost.text and not repost.text.startswith("RT @")
    assert "https://dev.to/twitterdev/building-an-alexa-skill-for-twitter-using-alexa-presentation-language-1aj0" in (
        repost.urls
    )
    assert repost.source_author is not None and repost.source_author.bio.startswith("Developer Relations")
    assert repost.source_app == "X Web App"
    assert repost.source_post_url == "https://x.com/suhemparack/status/1229843515603144704"


def test_retweet_of_a_quote_reads_the_quoted_post_too() -> None:
    repost = repost_of(aaa(fixture("gnip_native_enriched_retweeted_quote_tweet.json")))
    assert repost.kind == "retweet" and repost.source_post_id == "1224709550214873090"
    assert "uses X's new search endpoint" in repost.text  # the original's extended text
    assert "bespoke commute information" in repost.text  # the post it quotes


def test_quote_reads_the_accounts_words_and_the_original() -> None:
    repost = repost_of(aaa(fixture("gnip_native_enriched_quote_tweet.json")))
    assert (repost.kind, repost.source_post_id) == ("quote", "1327011423252144128")
    assert "have now been retired" in repost.text  # the account's own (extended) words
    assert "Friendly reminder" in repost.text  # the quoted original
    assert repost.source_author is not None and repost.source_author.handle == "XDevelopers"


def test_media_urls_and_sensitivity_are_kept() -> None:
    tweet = fixture("gnip_native_enriched_post_with_extended_entities.json")
    tweet["possibly_sensitive"] = True
    repost = repost_of(aaa(tweet))
    assert repost.kind == "post" and repost.source_post_id == repost.post_id
    assert repost.has_media and repost.possibly_sensitive
    assert any("/photo/" in url or "/video/" in url for url in repost.urls)


def test_someone_else_retweeting_the_account_is_not_by_the_account() -> None:
    tweet = fixture("tweepy_v1.1_statuses_retweet_response_real_retweet_object.json")
    repost = repost_of(aaa(tweet, for_user_id=tweet["retweeted_status"]["user"]["id_str"]))
    assert repost.kind == "retweet" and not repost.by_account


def test_xaa_repost_by_another_user_without_expansions() -> None:
    repost = repost_of(fixture("xaa_post_repost_create.json"))
    assert (repost.kind, repost.by_account) == ("retweet", False)
    assert repost.source_post_id == "2080761390344937796"
    assert repost.source_author is None
    assert repost.source_post_url == "https://x.com/i/web/status/2080761390344937796"
    assert repost.text == "RT @ExampleUser: Hello from the Activity API"  # nothing better was delivered
    assert repost.posted_at == datetime(2026, 8, 12, 18, 10, tzinfo=UTC)


def test_xaa_quote_resolves_the_original_from_includes() -> None:
    envelope = fixture("xaa_post_quote_create.json")
    envelope["data"]["payload"]["author_id"] = "1111111111111111111"  # the account quotes someone
    envelope["data"]["includes"] = {
        "tweets": [
            {
                "id": "2080761390344937796",
                "author_id": "3333333333333333333",
                "text": "short text…",
                "note_tweet": {
                    "text": "The whole long post, past the cut: watch the fight free tonight",
                    "entities": {
                        "urls": [{"expanded_url": "https://bit.ly/x", "unwound_url": "https://example.net/y"}]
                    },
                },
                "possibly_sensitive": True,
                "lang": "fr",
                "source": "Stream App",
            }
        ],
        "users": [
            {
                "id": "3333333333333333333",
                "username": "StreamKing",
                "name": "Stream King",
                "description": "All fights free",
                "verified_type": "blue",
                "public_metrics": {"followers_count": 12, "following_count": 3, "tweet_count": 900},
            }
        ],
    }
    repost = repost_of(envelope)
    assert (repost.kind, repost.by_account, repost.source_post_id) == ("quote", True, "2080761390344937796")
    assert repost.text.startswith("Adding some context to this.")
    assert "past the cut: watch the fight free tonight" in repost.text
    assert repost.urls == (
        "https://twitter.com/ExampleUser/status/2080761390344937796",
        "https://bit.ly/x",
        "https://example.net/y",
    )
    assert repost.possibly_sensitive and repost.lang == "fr" and repost.source_app == "Stream App"
    author = repost.source_author
    assert author is not None
    assert (author.handle, author.bio, author.verified, author.followers, author.posts) == (
        "StreamKing",
        "All fights free",
        True,
        12,
        900,
    )
    assert repost.source_post_url == "https://x.com/StreamKing/status/2080761390344937796"
