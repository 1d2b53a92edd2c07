"""Webhook intake: X's CRC challenge, POST signature checks, envelope reading and enqueueing."""

from takedown.webhook.envelopes import Delivery, PostEvent, read_delivery
from takedown.webhook.exceptions import (
    EnqueueError,
    EvidenceUnavailableError,
    MalformedDeliveryError,
    PayloadTooLargeError,
    SignatureError,
    WebhookError,
)
from takedown.webhook.intake import MAX_BODY_BYTES, SIGNATURE_HEADER, WEBHOOK_PATH, WebhookIntake
from takedown.webhook.signature import crc_response_token, sign, verify_signature

__all__ = [
    "MAX_BODY_BYTES",
    "SIGNATURE_HEADER",
    "WEBHOOK_PATH",
    "Delivery",
    "EnqueueError",
    "EvidenceUnavailableError",
    "MalformedDeliveryError",
    "PayloadTooLargeError",
    "PostEvent",
    "SignatureError",
    "WebhookError",
    "WebhookIntake",
    "crc_response_token",
    "read_delivery",
    "sign",
    "verify_signature",
]
