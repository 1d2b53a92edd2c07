"""Webhook function: X's CRC challenge and signed POST deliveries, behind an API Gateway HTTP API.

A thin adapter: the logic lives in takedown.webhook (the layer), wired by takedown.wiring.
"""

from __future__ import annotations

import base64
import binascii
import os
from functools import cache

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext

from takedown.settings import WebhookSettings
from takedown.webhook import (
    SIGNATURE_HEADER,
    WEBHOOK_PATH,
    EvidenceUnavailableError,
    MalformedDeliveryError,
    WebhookError,
    WebhookIntake,
)
from takedown.wiring import build_webhook_intake

logger = Logger()
metrics = Metrics()
app = APIGatewayHttpResolver()


@cache
def intake() -> WebhookIntake:
    """Built on the first request of a cold start, then reused."""
    return build_webhook_intake(WebhookSettings.from_env(os.environ))


@app.get(WEBHOOK_PATH)
def answer_crc() -> dict:
    event = app.current_event
    response = intake().answer_crc(
        event.get_query_string_value("crc_token"),
        raw_query=event.raw_query_string,
        signature=event.headers.get(SIGNATURE_HEADER),
    )
    logger.info("crc answered")
    metrics.add_metric(name="CrcAnswered", unit=MetricUnit.Count, value=1)
    return response


@app.post(WEBHOOK_PATH)
def receive_delivery() -> dict:
    event = app.current_event  # read once: the body and its signature come from the same event
    result = intake().receive(_raw_body(event), event.headers.get(SIGNATURE_HEADER))
    delivery = result.delivery
    logger.info(
        "delivery accepted",
        extra={
            "api": delivery.api,
            "account_id": delivery.account_id,
            "event_kinds": delivery.event_kinds,
            "posts": len(delivery.posts),
            "enqueued": result.enqueued,
        },
    )
    metrics.add_metric(name="DeliveriesAccepted", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="CandidatesEnqueued", unit=MetricUnit.Count, value=result.enqueued)
    return {"enqueued": result.enqueued}


@app.route(WEBHOOK_PATH, method=["PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def method_not_allowed() -> Response:
    logger.warning("webhook refused", extra={"status": 405, "method": app.current_event.http_method})
    metrics.add_metric(name="Refused405", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=405,
        content_type=content_types.APPLICATION_JSON,
        body='{"error": "method_not_allowed"}',
        headers={"Allow": "GET, POST"},
    )


@app.exception_handler(WebhookError)
def refuse(error: WebhookError) -> Response:
    """Bad input gets its 4xx and a precise log line; a failure to keep or enqueue gets 503 so X retries."""
    log = logger.error if error.status >= 500 else logger.warning
    log("webhook refused", extra={"status": error.status, "reason": error.reason, "detail": str(error)})
    metrics.add_metric(name=f"Refused{error.status}", unit=MetricUnit.Count, value=1)
    if isinstance(error, EvidenceUnavailableError):
        metrics.add_metric(name="EvidenceFailures", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=error.status,
        content_type=content_types.APPLICATION_JSON,
        body=f'{{"error": "{error.reason}"}}',
    )


def _raw_body(event: APIGatewayProxyEventV2) -> bytes:
    """The bytes X signed: API Gateway base64-encodes bodies it does not treat as text."""
    body = event.body or ""
    if not event.is_base64_encoded:
        try:
            return body.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: no UTF-8 bytes X could have signed
            raise MalformedDeliveryError("body is not valid UTF-8 text (lone surrogates)") from None
    try:
        return base64.b64decode(body, validate=True)
    except binascii.Error:
        raise MalformedDeliveryError("isBase64Encoded body is not valid base64") from None


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
