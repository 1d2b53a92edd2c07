"""Inspect function: SQS (FIFO) batches of candidate reposts, with partial batch failures.

A thin adapter: takedown.inspection does the work, takedown.wiring builds it. A candidate that must
wait (X rate limit, X unavailable) is postponed in the queue by the library and failed back to SQS
here, so nothing is lost; after the queue's maxReceiveCount it reaches the dead-letter queue with
its incident undo_failed.
"""

from __future__ import annotations

import os
from functools import cache

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from takedown.inspection import Postponed, QueuedInspection
from takedown.settings import InspectSettings
from takedown.wiring import build_queued_inspection

logger = Logger()
metrics = Metrics()
processor = SqsFifoPartialProcessor(skip_group_on_error=True)


class InspectionPostponedError(Exception):
    """Fails the record back to SQS: it returns after the visibility timeout the library set."""


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
def inspection() -> QueuedInspection:
    return build_queued_inspection(InspectSettings.from_env(os.environ), PowertoolsInspectionMetrics())


def inspect_candidate(record: SQSRecord) -> str:
    receives = int(record.attributes.approximate_receive_count)
    attempt = inspection().run(record.body, receives, record.receipt_handle)
    context = {"account_id": attempt.account_id, "post_id": attempt.post_id, "receives": receives}
    result = attempt.result
    if isinstance(result, Postponed):
        logger.warning(
            "inspection postponed", extra={**context, "reason": result.reason, "delay_s": result.delay_seconds}
        )
        raise InspectionPostponedError(result.reason)
    logger.info("candidate inspected", extra={**context, "outcome": result.outcome})
    return result.outcome


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=inspect_candidate, processor=processor, context=context)
