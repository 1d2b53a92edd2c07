"""Inspect function: SQS (FIFO) batches of candidate reposts, with partial batch failures.

A thin adapter: takedown.inspection does the work, takedown.wiring builds it. Inspection never
waits for X: it records the incident and hands an undo to the undo queue. Each candidate is its
own message group, so a message that fails (a poison message, a DynamoDB error) fails alone, with
its reason in the log, and holds back no other post.
"""

from __future__ import annotations

import os
from functools import cache

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from takedown.evidence import EvidenceError
from takedown.inspection import PoisonMessageError, QueuedInspection
from takedown.settings import InspectSettings
from takedown.wiring import build_queued_inspection

logger = Logger()
metrics = Metrics()
processor = SqsFifoPartialProcessor(skip_group_on_error=True)


class PowertoolsInspectionMetrics:
    """The inspection's metrics as CloudWatch EMF, through Powertools."""

    def incident_detected(self, category: str) -> None:
        metrics.add_metric(name=f"Incidents_{category}", unit=MetricUnit.Count, value=1)


@cache
def inspection() -> QueuedInspection:
    return build_queued_inspection(InspectSettings.from_env(os.environ), PowertoolsInspectionMetrics())


def inspect_candidate(record: SQSRecord) -> str:
    receives = int(record.attributes.approximate_receive_count)
    try:
        attempt = inspection().run(record.body)
    except PoisonMessageError as error:
        logger.error(
            "poison message", extra={"message_id": record.message_id, "receives": receives, "reason": str(error)}
        )
        metrics.add_metric(name="PoisonMessages", unit=MetricUnit.Count, value=1)
        raise
    except EvidenceError as error:  # the incident is recorded; its undo waits for the evidence (retried)
        logger.error(
            "evidence not kept", extra={"message_id": record.message_id, "receives": receives, "reason": str(error)}
        )
        metrics.add_metric(name="EvidenceFailures", unit=MetricUnit.Count, value=1)
        raise
    context = {"account_id": attempt.account_id, "post_id": attempt.post_id, "receives": receives}
    ledger = {"found_by": attempt.found_by, "first": attempt.first}
    if attempt.earlier is not None:
        ledger |= {"first_found_by": attempt.earlier.found_by, "first_outcome": attempt.earlier.outcome}
    if not attempt.first:  # the webhook and the sweep both brought it: only the first acted
        metrics.add_metric(name="SecondInspectionsSkipped", unit=MetricUnit.Count, value=1)
    elif attempt.found_by == "sweep":  # no webhook delivery brought it in time: lost, or very late
        metrics.add_metric(name="PostsFoundBySweep", unit=MetricUnit.Count, value=1)
    logger.info("candidate inspected", extra={**context, **ledger, "outcome": attempt.result.outcome})
    return attempt.result.outcome


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=inspect_candidate, processor=processor, context=context)
