"""One post contract: the webhook filter, the queue message, inspection and the incident agree on
ids, kinds and the business key, because each takes them from takedown.post."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
from moto import mock_aws

from takedown.incidents.model import Incident
from takedown.inspect_queue import SqsInspectQueue
from takedown.post import business_key, is_candidate
from takedown.repost import Repost
from takedown.webhook import read_delivery
from tests.conftest import EVENTS

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _payload(name: str) -> bytes:
    return (EVENTS / "payloads" / name).read_bytes()


def test_a_candidate_is_a_retweet_or_quote_by_the_account() -> None:
    assert is_candidate("retweet", by_account=True) and is_candidate("quote", by_account=True)
    assert not is_candidate("post", by_account=True)
    assert not is_candidate("retweet", by_account=False)


def test_webhook_filter_and_inspection_agree_on_what_is_a_candidate() -> None:
    for payload in sorted((EVENTS / "payloads").glob("*.json")):
        for event in read_delivery(payload.read_bytes(), NOW).posts:
            repost = Repost.from_event(event)
            assert (repost.post_id, repost.kind, repost.by_account) == (event.post_id, event.kind, event.by_account)
            assert repost.is_candidate == event.is_candidate, payload.name


def test_someone_else_retweeting_the_account_is_no_candidate() -> None:
    (event,) = read_delivery(_payload("aaa_retweet_of_account_by_someone_else.json"), NOW).posts
    assert event.kind == "retweet" and not event.by_account and not event.is_candidate


@mock_aws
def test_queue_deduplication_id_and_incident_id_are_one_business_key() -> None:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="inspect.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    (event,) = read_delivery(_payload("aaa_retweet_illegal_stream.json"), NOW).candidates
    SqsInspectQueue(sqs, url).send([event])
    (message,) = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
    key = business_key(event.account_id, event.post_id)
    assert message["Attributes"]["MessageDeduplicationId"] == key
    # Each post its own group: no post of an account waits behind another (no head-of-line blocking).
    assert message["Attributes"]["MessageGroupId"] == key
    repost = Repost.from_event(type(event).model_validate_json(message["Body"]))
    assert repost.business_key == key == Incident.id_for(event.account_id, event.post_id)
    assert json.loads(message["Body"])["post_id"] == event.post_id


def test_an_incident_stored_before_the_rename_still_reads() -> None:
    stored = {
        "incident_id": "1-2",
        "account_id": "1",
        "repost_id": "2",
        "kind": "retweet",
        "source_post_id": "3",
        "source_post_url": "https://x.com/i/web/status/3",
        "category": "adult",
        "score": 1.0,
        "contributions": [],
        "received_at": NOW,
        "detected_at": NOW,
    }
    incident = Incident.model_validate(stored)
    assert incident.post_id == "2" and "repost_id" not in incident.model_dump()
