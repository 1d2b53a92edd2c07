"""Why a webhook delivery was refused. Each error carries the HTTP status X should see."""

from __future__ import annotations


class WebhookError(Exception):
    """Base class: `status` is the HTTP status answered to X, `reason` a short machine-readable code."""

    status = 500
    reason = "webhook_error"


class SignatureError(WebhookError):
    """The x-twitter-webhooks-signature header is missing, malformed or does not match the body."""

    status = 401
    reason = "bad_signature"


class MalformedDeliveryError(WebhookError):
    """The body is not JSON, or not an Account Activity / X Activity envelope we can read."""

    status = 400
    reason = "malformed_delivery"


class PayloadTooLargeError(WebhookError):
    """The body is over MAX_BODY_BYTES; it is refused before any HMAC or JSON work."""

    status = 413
    reason = "payload_too_large"


class EnqueueError(WebhookError):
    """A transient failure to enqueue: answered 503 so that X delivers the event again."""

    status = 503
    reason = "enqueue_failed"


class EvidenceUnavailableError(WebhookError):
    """The delivery's bytes could not be kept as evidence (S3): answered 503 so that X delivers it
    again; nothing was enqueued."""

    status = 503
    reason = "evidence_unavailable"
