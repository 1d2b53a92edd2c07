"""Undo function: the undo queue (standard SQS), one scheduled undo per record, partial batch failures.

A thin adapter: takedown.undo does the work, takedown.wiring builds it. A wait (X's rate limit,
a backoff) is a new delayed message sent by the library, so this record succeeds; only a crash
fails the record back to SQS, and on its last receive the library marks the incident first.
"""

from __future__ import annotations

import os
from functools import cache

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from takedown.settings import UndoSettings
from takedown.undo import QueuedUndo
from takedown.wiring import build_queued_undo

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


class PowertoolsUndoMetrics:
    """The undo step's metrics as CloudWatch EMF, through Powertools."""

    def undone(self, time_to_takedown_ms: int) -> None:
        metrics.add_metric(name="Undos", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="TimeToTakedown", unit=MetricUnit.Milliseconds, value=time_to_takedown_ms)

    def undo_scheduled(self, reason: str) -> None:
        name = "UndoRateLimited" if reason == "X rate limit" else "UndoRetried"
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)

    def undo_failed(self, reason: str) -> None:
        metrics.add_metric(name="UndoFailures", unit=MetricUnit.Count, value=1)
        if reason.startswith(("X credentials", "X refused")):
            metrics.add_metric(name="XAuthFailures", unit=MetricUnit.Count, value=1)
        elif reason.startswith("X credits"):
            metrics.add_metric(name="XCreditFailures", unit=MetricUnit.Count, value=1)

    def breaker_tripped(self) -> None:
        metrics.add_metric(name="BreakerTripped", unit=MetricUnit.Count, value=1)


@cache
def undo() -> QueuedUndo:
    return build_queued_undo(UndoSettings.from_env(os.environ), PowertoolsUndoMetrics())


def undo_request(record: SQSRecord) -> str:
    receives = int(record.attributes.approximate_receive_count)
    try:
        result = undo().run(record.body, receives)
    except Exception:
        logger.exception("undo failed", extra={"message_id": record.message_id, "receives": receives})
        raise
    extra = {"receives": receives, "outcome": result.outcome, "reason": result.reason}
    if result.incident is not None:
        extra |= {"incident_id": result.incident.incident_id, "account_id": result.incident.account_id}
    logger.info("undo step ran", extra=extra)
    return result.outcome


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=undo_request, processor=processor, context=context)
