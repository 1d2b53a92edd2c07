"""The evidence locker on moto's S3, in the bucket template.yaml defines (Object Lock, governance):
every object is written locked, encrypted with the stack's key, named and checked by its SHA-256;
an incident's objects are locked for the retention, never less; S3 failing is an EvidenceError."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from takedown.evidence import PENDING_DAYS, EvidenceError, EvidenceLocker
from tests.evidence_support import RETENTION_DAYS, evidence_bucket

RECEIVED = datetime(2026, 11, 24, 12, 0, 0, 250_000, tzinfo=UTC)
DETECTED = RECEIVED + timedelta(seconds=1)
BODY = b'{"for_user_id":"1000000000000000001","tweet_create_events":[{"text":"https:\\/\\/t.co\\/x"}]}'
SIGNATURE = "sha256=" + base64.b64encode(b"not a real signature, only bytes to keep").decode()


@pytest.fixture
def bucket() -> Iterator[dict[str, Any]]:
    with mock_aws():
        yield evidence_bucket()


def _stored(bucket: dict[str, Any], key: str) -> dict[str, Any]:
    s3 = bucket["s3"]
    head = s3.head_object(Bucket=bucket["bucket"], Key=key, ChecksumMode="ENABLED")
    body = s3.get_object(Bucket=bucket["bucket"], Key=key)["Body"].read()
    tags = s3.get_object_tagging(Bucket=bucket["bucket"], Key=key)["TagSet"]
    return {"head": head, "body": body, "tags": {t["Key"]: t["Value"] for t in tags}}


def test_a_delivery_and_its_signature_are_kept_locked_encrypted_and_named_by_their_hash(bucket: dict) -> None:
    source = bucket["locker"].keep_delivery(BODY, SIGNATURE, RECEIVED)

    assert source.origin == "webhook"
    pending_until = (RECEIVED + timedelta(days=PENDING_DAYS)).replace(microsecond=0)
    for kept, data, prefix in (
        (source.body, BODY, "deliveries/"),
        (source.signature, SIGNATURE.encode(), "signatures/"),
    ):
        assert kept is not None
        stored = _stored(bucket, kept.key)
        assert stored["body"] == data  # the bytes exactly as received, escaped slashes and all
        assert kept.sha256 == hashlib.sha256(stored["body"]).hexdigest() and kept.key == prefix + kept.sha256
        assert kept.size == len(data)
        head = stored["head"]
        assert head["ObjectLockMode"] == "GOVERNANCE"
        assert head["ObjectLockRetainUntilDate"] == pending_until
        assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == bucket["key_arn"]
        assert base64.b64decode(head["ChecksumSHA256"]).hex() == kept.sha256  # S3 checked our hash
        assert stored["tags"] == {"evidence": "pending"}


def test_the_same_delivery_again_writes_nothing_new(bucket: dict) -> None:
    first = bucket["locker"].keep_delivery(BODY, SIGNATURE, RECEIVED)
    again = bucket["locker"].keep_delivery(BODY, SIGNATURE, RECEIVED + timedelta(minutes=3))

    assert again == first
    versions = bucket["s3"].list_object_versions(Bucket=bucket["bucket"])["Versions"]
    assert sorted(v["Key"] for v in versions) == sorted([first.body.key, first.signature.key])


def test_an_incident_locks_its_source_for_the_retention_and_keeps_the_post(bucket: dict) -> None:
    locker = bucket["locker"]
    source = locker.keep_delivery(BODY, SIGNATURE, RECEIVED)
    post = b'{"account_id": "1000000000000000001", "text": "free stream"}'

    evidence = locker.keep_for_incident(source, post, DETECTED)

    until = (DETECTED + timedelta(days=RETENTION_DAYS)).replace(microsecond=0)
    assert evidence.retain_until == until and evidence.bucket == bucket["bucket"]
    assert (evidence.origin, evidence.source, evidence.signature) == ("webhook", source.body, source.signature)
    assert evidence.post.key == f"posts/{hashlib.sha256(post).hexdigest()}.json"
    for name, kept in (("source", evidence.source), ("signature", evidence.signature), ("post", evidence.post)):
        assert kept is not None
        stored = _stored(bucket, kept.key)
        assert hashlib.sha256(stored["body"]).hexdigest() == evidence.hashes[name] == kept.sha256
        assert stored["head"]["ObjectLockMode"] == "GOVERNANCE"
        assert stored["head"]["ObjectLockRetainUntilDate"] == until
        assert stored["head"]["SSEKMSKeyId"] == bucket["key_arn"]
        assert stored["tags"] == {"evidence": "kept"}


def test_a_lock_is_extended_never_shortened(bucket: dict) -> None:
    locker = bucket["locker"]
    source = locker.keep_delivery(BODY, SIGNATURE, RECEIVED)
    later = DETECTED + timedelta(days=3)
    locker.keep_for_incident(source, b'{"post": 2}', later)  # a second candidate of the same delivery
    locker.keep_for_incident(source, b'{"post": 1}', DETECTED)  # an older message retried after it

    head = bucket["s3"].head_object(Bucket=bucket["bucket"], Key=source.body.key)
    assert head["ObjectLockRetainUntilDate"] == (later + timedelta(days=RETENTION_DAYS)).replace(microsecond=0)


def test_locked_evidence_cannot_be_deleted_without_bypassing_governance(bucket: dict) -> None:
    source = bucket["locker"].keep_delivery(BODY, SIGNATURE, RECEIVED)
    s3 = bucket["s3"]
    version = s3.head_object(Bucket=bucket["bucket"], Key=source.body.key)["VersionId"]
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.delete_object(Bucket=bucket["bucket"], Key=source.body.key, VersionId=version)


def test_a_post_the_sweep_found_keeps_the_api_answer_and_no_signature(bucket: dict) -> None:
    answer = b'{"data": [{"id": "1900000000000000001", "referenced_tweets": [{"type": "retweeted"}]}]}'
    source = bucket["locker"].keep_api_response(answer, RECEIVED)
    evidence = bucket["locker"].keep_for_incident(source, b"{}", DETECTED)

    assert (source.origin, source.signature) == ("sweep", None)
    assert source.body.key == f"responses/{hashlib.sha256(answer).hexdigest()}"
    assert _stored(bucket, source.body.key)["body"] == answer
    assert set(evidence.hashes) == {"source", "post"}


def test_without_a_source_the_post_is_still_kept(bucket: dict) -> None:
    evidence = bucket["locker"].keep_for_incident(None, b'{"post": 1}', DETECTED)
    assert (evidence.origin, evidence.source, evidence.signature) == (None, None, None)
    assert list(evidence.hashes) == ["post"]


def test_s3_refusing_or_unreachable_is_an_evidence_error(bucket: dict) -> None:
    missing = EvidenceLocker(bucket["s3"], "no-such-evidence-bucket", bucket["key_arn"], RETENTION_DAYS)
    with pytest.raises(EvidenceError, match="NoSuchBucket"):
        missing.keep_delivery(BODY, SIGNATURE, RECEIVED)

    unreachable = boto3.client(
        "s3", endpoint_url="http://127.0.0.1:9", config=Config(retries={"max_attempts": 1}, connect_timeout=1)
    )
    with pytest.raises(EvidenceError, match="EndpointConnectionError"):
        EvidenceLocker(unreachable, bucket["bucket"], bucket["key_arn"], RETENTION_DAYS).keep_delivery(
            BODY, SIGNATURE, RECEIVED
        )


def test_retention_is_at_least_a_day() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        EvidenceLocker(boto3.client("s3"), "b", "k", 0)
