"""Notify function: the incidents table's stream, to the ops team's Teams channel.

A thin adapter: takedown.notification decides and sends. A failed post to Teams fails that record
back to the stream (partial batch response), so Lambda retries it; after the event source's
MaximumRetryAttempts it goes to the on-failure destination (a dead-letter queue) and the incident
keeps `notification: failed`.
"""

from __future__ import annotations

import os
from functools import cache

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from takedown.notification import IncidentNotifier
from takedown.settings import NotifySettings
from takedown.wiring import build_notifier

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


class PowertoolsNotificationMetrics:
    def notified(self) -> None:
        metrics.add_metric(name="Notifications", unit=MetricUnit.Count, value=1)

    def notification_failed(self) -> None:
        metrics.add_metric(name="NotificationFailures", unit=MetricUnit.Count, value=1)


@cache
def notifier() -> IncidentNotifier:
    return build_notifier(NotifySettings.from_env(os.environ), PowertoolsNotificationMetrics())


def notify_change(record: DynamoDBRecord) -> str:
    incident_id = record.dynamodb.keys["incident_id"]
    outcome = notifier().notify(incident_id)
    logger.info("incident change handled", extra={"incident_id": incident_id, "outcome": outcome})
    return outcome


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=notify_change, processor=processor, context=context)
