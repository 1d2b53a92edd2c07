"""Inspect function: SQS (FIFO) batches of candidate reposts, with partial batch failures.

A thin adapter: takedown.inspection does the work. A candidate that must wait (X rate limit, X
unavailable) is failed back to SQS with its visibility timeout set to the wait, so nothing is lost;
after the queue's maxReceiveCount it reaches the dead-letter queue with its incident undo_failed.
"""

from __future__ import annotations

import os
from functools import cache

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from takedown.inspection import RetryLaterError, build_inspector, retry_delay_seconds
from takedown.settings import InspectSettings
from takedown.webhook.envelopes import PostEvent

logger = Logger()
metrics = Metrics()
processor = SqsFifoPartialProcessor(skip_group_on_error=True)


class PowertoolsInspectionMetrics:
    """The inspection's metrics as CloudWatch EMF, through Powertools."""

    def incident_detected(self, category: str) -> None:
        metrics.add_metric(name=f"Incidents_{category}", unit=MetricUnit.Count, value=1)

    def undone(self, time_to_takedown_ms: int) -> None:
        metrics.add_metric(name="Undos", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="TimeToTakedown", unit=MetricUnit.Milliseconds, value=time_to_takedown_ms)

    def undo_failed(self) -> None:
        metrics.add_metric(name="UndoFailures", unit=MetricUnit.Count, value=1)


@cache
def settings() -> InspectSettings:
    return InspectSettings.from_env(os.environ)


@cache
def sqs():  # noqa: ANN201 - a boto3 client
    return boto3.client("sqs")


@cache
def inspector():  # noqa: ANN201 - takedown.inspection.Inspector
    return build_inspector(settings(), PowertoolsInspectionMetrics())


def inspect_candidate(record: SQSRecord) -> str:
    candidate = PostEvent.model_validate_json(record.body)
    receives = int(record.attributes.approximate_receive_count)
    context = {"account_id": candidate.account_id, "post_id": candidate.post_id, "receives": receives}
    try:
        result = inspector().inspect(candidate, final_attempt=receives >= settings().max_receive_count)
    except RetryLaterError as retry:
        delay = retry.delay_seconds or retry_delay_seconds(receives, settings().retry_base_seconds)
        logger.warning("inspection postponed", extra={**context, "reason": str(retry), "delay_s": delay})
        sqs().change_message_visibility(
            QueueUrl=settings().inspect_queue_url,
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=delay,
        )
        raise
    logger.info("candidate inspected", extra={**context, "outcome": result.outcome})
    return result.outcome


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=inspect_candidate, processor=processor, context=context)
