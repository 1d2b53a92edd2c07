"""The webhook's logic, free of Lambda and HTTP details: answer CRCs, verify and enqueue deliveries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from takedown.clock import Clock, utc_now
from takedown.evidence import EvidenceError, RawSource
from takedown.webhook.envelopes import Delivery, PostEvent, read_delivery
from takedown.webhook.exceptions import (
    EvidenceUnavailableError,
    MalformedDeliveryError,
    PayloadTooLargeError,
    SignatureError,
)
from takedown.webhook.signature import crc_response_token, verify_signature

# Where X delivers: the API Gateway route (template.yaml), the local stack and the sample events.
WEBHOOK_PATH = "/webhooks/x"
SIGNATURE_HEADER = "x-twitter-webhooks-signature"

# X's own deliveries are a few kB to a few hundred kB; anything past 1 MiB is refused with 413
# before any HMAC or JSON work. Documented in the README.
MAX_BODY_BYTES = 1024 * 1024


class CandidateQueue(Protocol):
    """Where candidates go for inspection; raises EnqueueError on a transient failure."""

    def send(self, candidates: Sequence[PostEvent]) -> None: ...


class DeliveryEvidence(Protocol):
    """Where a delivery's bytes are kept before it is enqueued (takedown.evidence.EvidenceLocker);
    raises EvidenceError when they could not be kept."""

    def keep_delivery(self, body: bytes, signature: str, received_at: datetime) -> RawSource: ...


@dataclass(frozen=True)
class IntakeResult:
    delivery: Delivery
    enqueued: int


class WebhookIntake:
    """Verifies X's webhook requests and enqueues one message per candidate repost.

    `consumer_secret` is a callable so that a cached, rotatable secret (Secrets Manager) is read
    when needed, never at import. A delivery holding candidates is kept as evidence (its bytes and
    signature header) before they are enqueued, and each message names it; if it cannot be kept
    the delivery is refused with 503, so that X delivers it again: once answered 200, the signed
    bytes are gone for good, and the undo must not run without them.
    """

    def __init__(
        self,
        consumer_secret: Callable[[], str],
        queue: CandidateQueue,
        evidence: DeliveryEvidence,
        clock: Clock = utc_now,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self._consumer_secret = consumer_secret
        self._queue = queue
        self._evidence = evidence
        self._clock = clock
        self._max_body_bytes = max_body_bytes

    def answer_crc(self, crc_token: str | None, raw_query: str = "", signature: str | None = None) -> dict[str, str]:
        """The CRC response body. When X signs the GET (it does today), the signature must match."""
        if not crc_token:
            raise MalformedDeliveryError("CRC request without crc_token")
        secret = self._consumer_secret()
        if signature is not None and not verify_signature(secret, raw_query.encode("utf-8"), signature):
            raise SignatureError("CRC request signature does not match its query string")
        return {"response_token": crc_response_token(secret, crc_token)}

    def receive(self, body: bytes, signature: str | None) -> IntakeResult:
        """Verify a POST, read its envelope, enqueue every candidate. Raises a WebhookError subclass."""
        if len(body) > self._max_body_bytes:
            raise PayloadTooLargeError(f"body is {len(body)} bytes, over the {self._max_body_bytes} limit")
        if signature is None:
            raise SignatureError(f"{SIGNATURE_HEADER} header is missing")
        if not verify_signature(self._consumer_secret(), body, signature):
            raise SignatureError(f"{SIGNATURE_HEADER} does not match the body")
        received_at = self._clock()
        delivery = read_delivery(body, received_at)
        candidates = delivery.candidates
        if candidates:
            try:
                source = self._evidence.keep_delivery(body, signature, received_at)
            except EvidenceError as error:
                raise EvidenceUnavailableError(str(error)) from None
            self._queue.send([candidate.model_copy(update={"raw_source": source}) for candidate in candidates])
        return IntakeResult(delivery=delivery, enqueued=len(candidates))
