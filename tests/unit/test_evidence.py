"""The evidence locker on moto's S3, in the bucket template.yaml defines (Object Lock, governance):
every object is written locked, encrypted with the stack's key, named and checked by its SHA-256;
an incident's objects are locked for the retention, never less; S3 failing is an EvidenceError.

moto lets anyone shorten a governance lock; S3 refuses it (AccessDenied) without a bypass, which
`GovernedS3` does as S3 would, to test that a lock is extended and never shortened."""

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


class GovernedS3:
    """moto's S3 client, refusing to shorten a governance lock as S3 does without the bypass."""

    def __init__(self, s3: Any) -> None:
        self._s3 = s3
        self.refused = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)

    def put_object_retention(self, **request: Any) -> Any:
        current = self._s3.head_object(Bucket=request["Bucket"], Key=request["Key"]).get("ObjectLockRetainUntilDate")
        if current is not None and request["Retention"]["RetainUntilDate"] < current:
            self.refused += 1
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "PutObjectRetention")
        return self._s3.put_object_retention(**request)


class NoRetentionRights(GovernedS3):
    """A function whose role lacks s3:PutObjectRetention: every lock change is refused."""

    def put_object_retention(self, **request: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "PutObjectRetention")


def _stored(bucket: dict[str, Any], key: str) -> dict[str, Any]:
    s3 = bucket["s3"]
    head = s3.head_object(Bucket=bucket["bucket"], Key=key, ChecksumMode="ENABLED")
    body = s3.get_object(Bucket=bucket["bucket"], Key=key)["Body"].read()
    tags = s3.get_object_tagging(Bucket=bucket["bucket"], Key=key)["TagSet"]
    return {"head": head, "body": body, "tags": {t["Key"]: t["Value"] for t in tags}}


def test_a_delivery_is_kept_locked_encrypted_and_named_by_its_hash(bucket: dict) -> None:
    source = bucket["locker"].keep_delivery(BODY, SIGNATURE, RECEIVED)

    assert (source.origin, source.signature_header) == ("webhook", SIGNATURE)  # written with an incident
    kept = source.body
    stored = _stored(bucket, kept.key)
    assert stored["body"] == BODY  # the bytes exactly as received, escaped slashes and all
    assert kept.sha256 == hashlib.sha256(stored["body"]).hexdigest() and kept.key == f"deliveries/{kept.sha256}"
    assert kept.size == len(BODY)
    head = stored["head"]
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert head["ObjectLockRetainUntilDate"] == (RECEIVED + timedelta(days=PENDING_DAYS)).replace(microsecond=0)
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == bucket["key_arn"]
    assert base64.b64decode(head["ChecksumSHA256"]).hex() == kept.sha256  # S3 checked our hash
    assert stored["tags"] == {"evidence": "pending"}


def test_the_same_delivery_again_writes_nothing_new(bucket: dict) -> None:
    first = bucket["locker"].keep_delivery(BODY, SIGNATURE, RECEIVED)
    again = bucket["locker"].keep_delivery(BODY, SIGNATURE, RECEIVED + timedelta(minutes=3))

    assert again == first
    versions = bucket["s3"].list_object_versions(Bucket=bucket["bucket"])["Versions"]
    assert [v["Key"] for v in versions] == [first.body.key]


def test_an_incident_locks_its_source_for_the_retention_and_keeps_the_post(bucket: dict) -> None:
    locker = bucket["locker"]
    source = locker.keep_delivery(BODY, SIGNATURE, RECEIVED)
    post = b'{"account_id": "1000000000000000001", "text": "free stream"}'

    evidence = locker.keep_for_incident(source, post, DETECTED)

    until = (DETECTED + timedelta(days=RETENTION_DAYS)).replace(microsecond=0)
    assert evidence.retain_until == until and evidence.bucket == bucket["bucket"]
    assert (evidence.origin, evidence.source) == ("webhook", source.body) and evidence.signature is not None
    assert _stored(bucket, evidence.signature.key)["body"] == SIGNATURE.encode()
    assert evidence.signature.key == f"signatures/{hashlib.sha256(SIGNATURE.encode()).hexdigest()}"
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
    s3 = GovernedS3(bucket["s3"])
    locker = EvidenceLocker(s3, bucket["bucket"], bucket["key_arn"], RETENTION_DAYS)  # type: ignore[arg-type]
    source = locker.keep_delivery(BODY, SIGNATURE, RECEIVED)
    later = DETECTED + timedelta(days=3)
    locker.keep_for_incident(source, b'{"post": 2}', later)  # a second candidate of the same delivery
    evidence = locker.keep_for_incident(source, b'{"post": 1}', DETECTED)  # an older message after it

    assert s3.refused == 1  # S3 refused to shorten the lock the later incident set, and that is fine
    head = bucket["s3"].head_object(Bucket=bucket["bucket"], Key=source.body.key)
    assert head["ObjectLockRetainUntilDate"] == (later + timedelta(days=RETENTION_DAYS)).replace(microsecond=0)
    assert evidence.retain_until < head["ObjectLockRetainUntilDate"]


def test_a_refused_extension_is_an_evidence_error(bucket: dict) -> None:
    s3 = NoRetentionRights(bucket["s3"])
    locker = EvidenceLocker(s3, bucket["bucket"], bucket["key_arn"], RETENTION_DAYS)  # type: ignore[arg-type]
    source = locker.keep_delivery(BODY, SIGNATURE, RECEIVED)
    with pytest.raises(EvidenceError, match="AccessDenied"):  # else the lock would end with the pending one
        locker.keep_for_incident(source, b'{"post": 1}', DETECTED)


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

    assert (source.origin, source.signature_header) == ("sweep", None)
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
