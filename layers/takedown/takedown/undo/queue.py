"""The undo queue: a standard SQS queue, so a delayed undo of one post delays nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from takedown.undo.request import UndoRequest

if TYPE_CHECKING:
    from types_boto3_sqs import SQSClient

# SQS's longest DelaySeconds. X's windows are 15 minutes, so one delay covers a reset; a longer
# wait arrives early, finds the budget still spent, and is delayed again.
MAX_DELAY_SECONDS = 900


class SqsUndoQueue:
    def __init__(self, sqs_client: SQSClient, queue_url: str) -> None:
        self._sqs = sqs_client
        self._queue_url = queue_url

    def schedule(self, request: UndoRequest, delay_seconds: int = 0) -> None:
        """Send `request`, to be received after `delay_seconds` (capped at MAX_DELAY_SECONDS)."""
        self._sqs.send_message(
            QueueUrl=self._queue_url,
            MessageBody=request.model_dump_json(),
            DelaySeconds=max(0, min(int(delay_seconds), MAX_DELAY_SECONDS)),
        )
