"""Reading AAA and XAA envelopes into PostEvents, on X's real samples and hand-made edge cases."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from takedown.webhook import MalformedDeliveryError, read_delivery
from tests.conftest import EVENTS, FIXTURES

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_subscribed_accounts_own_retweet_is_a_candidate() -> None:
    delivery = read_delivery(_fixture("CONSTRUCTED_aaa_tweet_create_events_retweet_by_subscribed_user.json"), NOW)
    (post,) = delivery.posts
    assert delivery.api == "account_activity"
    assert (post.kind, post.is_candidate) == ("retweet", True)
    assert post.post_id == "1349969223154606081"
    assert post.referenced_post_id == "266367358078169089"  # the ORIGINAL: what unretweet needs
    assert delivery.candidates == (post,)


def test_real_aaa_delivery_of_own_plain_post_is_no_candidate() -> None:
    text = _fixture("real_aaa_tweet_create_events_own_tweet_partially_redacted.json.txt").decode()
    # The capturer redacted digits with XX; the README gives the subscribed user's real id.
    body = text.replace("1424621424304XX9408", "1424621424304529408").replace("XX", "00")
    delivery = read_delivery(body.encode(), NOW)
    (post,) = delivery.posts
    assert post.kind == "post"
    assert post.author_id == delivery.account_id
    assert delivery.candidates == ()


@pytest.mark.parametrize(
    "name",
    [
        "aaa_v2_docs_tweet_delete_events.json",
        "aaa_v2_docs_direct_message_events.json",
        "aaa_v2_docs_direct_message_indicate_typing_events.json",
        "aaa_v2_docs_direct_message_mark_read_events.json",
        "aaa_v2_docs_user_event.json",
        "xaa_post_delete.json",
        "xaa_oauth_revoke.json",
    ],
)
def test_other_event_kinds_carry_no_post(name: str) -> None:
    delivery = read_delivery(_fixture(name), NOW)
    assert delivery.posts == ()


@pytest.mark.parametrize(
    ("name", "kind"),
    [("xaa_post_repost_create.json", "retweet"), ("xaa_post_quote_create.json", "quote")],
)
def test_someone_else_reposting_the_account_is_no_candidate(name: str, kind: str) -> None:
    delivery = read_delivery(_fixture(name), NOW)
    (post,) = delivery.posts
    assert post.kind == kind
    assert post.author_id != delivery.account_id
    assert delivery.candidates == ()


def test_xaa_post_create_of_own_plain_post() -> None:
    delivery = read_delivery(_fixture("xaa_post_create.json"), NOW)
    (post,) = delivery.posts
    assert (delivery.api, post.kind, post.is_candidate) == ("x_activity", "post", False)
    assert post.includes is not None and post.includes["users"][0]["username"] == "ExampleUser"


def test_xaa_repost_by_the_account_is_a_candidate() -> None:
    event = json.loads((EVENTS / "webhook_xaa_post_create_repost.json").read_text())
    delivery = read_delivery(event["body"], NOW)
    (post,) = delivery.candidates
    assert (post.kind, post.referenced_post_id) == ("retweet", "2089999999999999001")


def test_aaa_someone_else_retweeting_the_account() -> None:
    event = json.loads((EVENTS / "webhook_aaa_retweet_by_someone_else.json").read_text())
    delivery = read_delivery(event["body"], NOW)
    (post,) = delivery.posts
    assert post.kind == "retweet" and not post.is_candidate


def test_quote_by_the_account_is_a_candidate() -> None:
    event = json.loads((EVENTS / "webhook_aaa_quote_adult.json").read_text())
    (post,) = read_delivery(event["body"], NOW).candidates
    assert (post.kind, post.referenced_post_id) == ("quote", "930380000000000123")


def test_every_post_of_a_multi_event_payload_is_read() -> None:
    base = json.loads(_fixture("CONSTRUCTED_aaa_tweet_create_events_retweet_by_subscribed_user.json"))
    tweet = base["tweet_create_events"][0]
    events = [dict(tweet, id_str=str(1000 + i)) for i in range(5)]
    events.append(dict(tweet, id_str="2000", retweeted_status=None))  # a plain post in the same payload
    delivery = read_delivery(json.dumps(dict(base, tweet_create_events=events)), NOW)
    assert [p.post_id for p in delivery.candidates] == ["1000", "1001", "1002", "1003", "1004"]
    assert len(delivery.posts) == 6


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not JSON"),
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[]", "not an object"),
        (b'{"hello": 1}', "neither Account Activity"),
        (b'{"for_user_id": 12, "tweet_create_events": []}', "for_user_id"),
        (b'{"for_user_id": "1", "tweet_create_events": {}}', "not a list"),
        (b'{"for_user_id": "1", "tweet_create_events": [{"id_str": "2"}]}', "user is missing"),
        (
            b'{"for_user_id": "1", "tweet_create_events": [{"id_str": "x", "user": {"id_str": "1"}}]}',
            "id_str",
        ),
        (b'{"data": {"event_type": "post.create", "filter": {"user_id": "1"}, "payload": []}}', "payload"),
        (b'{"data": {"event_type": "post.create", "filter": {}, "payload": {}}}', "filter.user_id"),
    ],
)
def test_unreadable_envelopes_say_why(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedDeliveryError, match=reason):
        read_delivery(body, NOW)


def test_the_end_of_a_replay_job_is_read_and_carries_no_post() -> None:
    status = {"webhook_id": "1", "job_id": "2", "job_state": "Complete", "job_state_description": "ok"}
    body = json.dumps({"replay_job_status": status})
    delivery = read_delivery(body, datetime(2026, 12, 1, tzinfo=UTC))
    assert delivery.event_kinds == ("replay_job_status",) and delivery.posts == ()
