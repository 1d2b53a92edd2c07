"""Evidence before action: the bytes a detection was made from, kept unalterable in S3.

So that an organisation can later show what its account reposted, every incident keeps, before
any undo is queued, up to three objects in the evidence bucket (Object Lock, governance mode,
SSE-KMS), each named by the SHA-256 of its bytes, and records each key and hash on the incident:

- `source`: where the post came from, exactly as received. For the webhook, the delivery's body
  as X signed it (`deliveries/<sha256>`); for a post the sweep found instead (no webhook ever
  arrived), the bytes of X's API answer that listed it (`responses/<sha256>`).
- `signature`: the `x-twitter-webhooks-signature` header X sent with that delivery
  (`signatures/<sha256>`): with the app's consumer secret it proves X sent those bytes. The header
  travels on the message (an HMAC, not a secret) and is written with the incident. The sweep has
  none (X's API answers are not signed).
- `post`: the normalised post the judgement read (`posts/<sha256>.json`, takedown.repost.Repost).

Content-addressed keys make a repeat free: X delivering the same body again, or SQS redelivering
a message, writes nothing new (`If-None-Match: *`, S3's conditional write; one version per key).

Two retentions, so that only incidents' evidence is kept long. The source is written when it is
received, before anyone knows whether it holds a bad post, locked for `PENDING_DAYS` and tagged
`evidence=pending` (the bucket's lifecycle removes pending objects once their lock ends). When an
incident is recorded, its objects are locked until `detected_at + retention_days` (a lock is only
ever extended: S3 refuses to shorten a governance lock without a bypass no function holds) and
tagged `evidence=kept`; the bucket's lifecycle removes them after that. Nothing in the stack may delete
an object: retention is the operator's decision, set by the template's EvidenceRetentionDays.

The webhook calls `keep_delivery` once per delivery and puts the `RawSource` it returns on each
candidate's inspect-queue message (`PostEvent.raw_source`); the sweep (a post found through
`GET /2/users/{id}/tweets`) calls `keep_api_response` with the answer's bytes and does the same;
inspection calls `keep_for_incident`. A message without a source (sent before evidence existed)
still gets its normalised post kept, and the incident says the source is missing.

    source = locker.keep_delivery(body, signature)                       # webhook
    source = locker.keep_api_response(response.content)                  # sweep
    evidence = locker.keep_for_incident(source, post_json, detected_at)  # inspection
"""

from __future__ import annotations

import base64
import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
    from types_boto3_s3.type_defs import TagTypeDef

EvidenceOrigin = Literal["webhook", "sweep"]

# How long a source is locked before anyone knows it matters: the longest a candidate can wait
# for inspection (the inspect dead-letter queue keeps a message 14 days, template.yaml), plus a day.
PENDING_DAYS = 15
PENDING_TAG, KEPT_TAG = "evidence=pending", "evidence=kept"
_LOCK_MODE: Final = "GOVERNANCE"


class EvidenceError(Exception):
    """S3 did not take or lock an evidence object: the caller must not act without its evidence."""


class EvidenceObject(BaseModel):
    """One object in the evidence bucket: its key and the SHA-256 (hex) and size of its bytes."""

    model_config = ConfigDict(frozen=True)

    key: str
    sha256: str
    size: int


class RawSource(BaseModel):
    """The bytes a post was read from, already in the bucket: carried on its inspect-queue message."""

    model_config = ConfigDict(frozen=True)

    origin: EvidenceOrigin  # webhook: a signed delivery; sweep: X's API answer that listed the post
    body: EvidenceObject
    signature_header: str | None = None  # the webhook's x-twitter-webhooks-signature; the sweep has none


class IncidentEvidence(BaseModel):
    """What an incident keeps, and until when: recorded on the incident before any undo."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    origin: EvidenceOrigin | None = None  # None: the message carried no source (sent before evidence)
    source: EvidenceObject | None = None
    signature: EvidenceObject | None = None
    post: EvidenceObject
    retain_until: datetime

    @property
    def hashes(self) -> dict[str, str]:
        """Each kept object's SHA-256, by what it is."""
        named = {"source": self.source, "signature": self.signature, "post": self.post}
        return {name: kept.sha256 for name, kept in named.items() if kept is not None}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class EvidenceLocker:
    """Writes evidence to an Object Lock bucket through a boto3 S3 client passed in. It only writes
    and extends locks (s3:PutObject, s3:PutObjectRetention, s3:PutObjectTagging; HeadObject reads a
    lock back when S3 refuses a change): it never deletes, and it cannot shorten a lock."""

    def __init__(self, s3: S3Client, bucket: str, kms_key_id: str, retention_days: int) -> None:
        if retention_days < 1:
            raise ValueError("evidence retention must be at least one day")
        self._s3 = s3
        self._bucket = bucket
        self._kms_key_id = kms_key_id
        self._retention = timedelta(days=retention_days)
        self._pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="evidence")  # boto3 clients are thread-safe

    def keep_delivery(self, body: bytes, signature: str, received_at: datetime) -> RawSource:
        """A webhook delivery as X signed it, once per distinct body; its signature header rides along."""
        until = _whole_seconds(received_at + timedelta(days=PENDING_DAYS))
        return RawSource(
            origin="webhook",
            body=self._put("deliveries", body, "application/json", until, PENDING_TAG),
            signature_header=signature,
        )

    def keep_api_response(self, body: bytes, received_at: datetime) -> RawSource:
        """For the sweep: the bytes of X's API answer that listed posts no webhook delivered."""
        until = _whole_seconds(received_at + timedelta(days=PENDING_DAYS))
        return RawSource(origin="sweep", body=self._put("responses", body, "application/json", until, PENDING_TAG))

    def keep_for_incident(self, source: RawSource | None, post: bytes, detected_at: datetime) -> IncidentEvidence:
        """Lock the post's source for the retention, and keep its signature and the normalised post.
        The S3 calls are independent and run at once: the undo waits for all of them."""
        until = _whole_seconds(detected_at + self._retention)
        kept_post = self._pool.submit(self._put, "posts", post, "application/json", until, KEPT_TAG, ".json")
        locked = self._pool.submit(self._lock_at_least, source.body.key, until) if source else None
        header = source.signature_header if source else None
        signature = (
            self._pool.submit(self._put, "signatures", header.encode("utf-8"), "text/plain", until, KEPT_TAG)
            if header is not None
            else None
        )
        # Every call is waited for (none left running) before the first failure is raised.
        outcomes = [future.exception() for future in (kept_post, locked, signature) if future is not None]
        if failed := next((error for error in outcomes if error is not None), None):
            raise failed
        return IncidentEvidence(
            bucket=self._bucket,
            origin=source.origin if source else None,
            source=source.body if source else None,
            signature=signature.result() if signature else None,
            post=kept_post.result(),
            retain_until=until,
        )

    def _put(
        self, prefix: str, data: bytes, content_type: str, until: datetime, tag: str, suffix: str = ""
    ) -> EvidenceObject:
        digest = hashlib.sha256(data)
        kept = EvidenceObject(key=f"{prefix}/{digest.hexdigest()}{suffix}", sha256=digest.hexdigest(), size=len(data))
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=kept.key,
                Body=data,
                ContentType=content_type,
                # S3 checks the bytes against our hash; Object Lock puts need a checksum anyway
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=base64.b64encode(digest.digest()).decode("ascii"),
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self._kms_key_id,
                BucketKeyEnabled=True,
                ObjectLockMode=_LOCK_MODE,
                ObjectLockRetainUntilDate=until,
                Tagging=tag,
                IfNoneMatch="*",  # the same bytes are already there: nothing to write
            )
        except ClientError as error:
            if _code(error) != "PreconditionFailed":
                raise EvidenceError(f"S3 PutObject {kept.key}: {_code(error)}") from None
        except BotoCoreError as error:
            raise EvidenceError(f"S3 PutObject {kept.key}: {error.__class__.__name__}") from None
        return kept

    def _lock_at_least(self, key: str, until: datetime) -> None:
        """Extend the object's lock to `until` and tag it kept. S3 refuses (AccessDenied) to shorten a
        governance lock: then the lock already reaches further (another incident of the same
        delivery, or a later one, extended it), which HeadObject confirms; else the refusal stands."""
        try:
            try:
                self._s3.put_object_retention(
                    Bucket=self._bucket, Key=key, Retention={"Mode": _LOCK_MODE, "RetainUntilDate": until}
                )
            except ClientError as error:
                if _code(error) != "AccessDenied":
                    raise
                current = self._s3.head_object(Bucket=self._bucket, Key=key).get("ObjectLockRetainUntilDate")
                if current is None or current < until:
                    raise
            self._s3.put_object_tagging(Bucket=self._bucket, Key=key, Tagging={"TagSet": [_tag(KEPT_TAG)]})
        except ClientError as error:
            raise EvidenceError(f"S3 lock of {key}: {_code(error)}") from None
        except BotoCoreError as error:
            raise EvidenceError(f"S3 lock of {key}: {error.__class__.__name__}") from None


def _whole_seconds(at: datetime) -> datetime:
    """S3 keeps lock dates to the second: the incident records the date S3 holds."""
    return at.replace(microsecond=0)


def _tag(pair: str) -> TagTypeDef:
    key, value = pair.split("=", 1)
    return {"Key": key, "Value": value}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
