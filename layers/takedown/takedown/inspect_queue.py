"""The SQS inspect queue: one message per candidate, deduplicated by the business key on a FIFO queue.

Each candidate is its own message group: FIFO ordering per account would make every post of an
account wait behind one that failed (head-of-line blocking); inspection is idempotent, so order
does not matter, and deduplication by the business key is what the FIFO queue is for."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from takedown.webhook.envelopes import PostEvent
from takedown.webhook.exceptions import EnqueueError

if TYPE_CHECKING:
    from types_boto3_sqs import SQSClient
    from types_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

_BATCH_ENTRIES = 10  # SQS SendMessageBatch maximum
_BATCH_BYTES = 240 * 1024  # under SQS's 256 KiB batch payload limit, with room for attributes


class SqsInspectQueue:
    """Sends candidates to SQS. On a FIFO queue the business key is the deduplication id, so a
    delivery that X retries within five minutes is enqueued once; inspection is idempotent beyond."""

    def __init__(self, sqs_client: SQSClient, queue_url: str) -> None:
        self._sqs = sqs_client
        self._queue_url = queue_url
        self._fifo = queue_url.endswith(".fifo")

    def send(self, candidates: Sequence[PostEvent]) -> None:
        for batch in _batches([self._entry(index, c) for index, c in enumerate(candidates)]):
            try:
                response = self._sqs.send_message_batch(QueueUrl=self._queue_url, Entries=batch)
            except (BotoCoreError, ClientError) as exc:
                raise EnqueueError(f"SendMessageBatch failed: {exc.__class__.__name__}") from exc
            failed = response.get("Failed") or []
            if failed:
                codes = ",".join(sorted({str(f.get("Code")) for f in failed}))
                raise EnqueueError(f"{len(failed)} of {len(batch)} messages not enqueued ({codes})")

    def _entry(self, index: int, candidate: PostEvent) -> SendMessageBatchRequestEntryTypeDef:
        entry: SendMessageBatchRequestEntryTypeDef = {"Id": str(index), "MessageBody": candidate.model_dump_json()}
        if self._fifo:
            entry["MessageGroupId"] = candidate.business_key
            entry["MessageDeduplicationId"] = candidate.business_key
        return entry


def _batches(
    entries: list[SendMessageBatchRequestEntryTypeDef],
) -> Iterator[list[SendMessageBatchRequestEntryTypeDef]]:
    batch: list[SendMessageBatchRequestEntryTypeDef] = []
    size = 0
    for entry in entries:
        entry_size = len(entry["MessageBody"].encode("utf-8"))
        if batch and (len(batch) == _BATCH_ENTRIES or size + entry_size > _BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += entry_size
    if batch:
        yield batch
