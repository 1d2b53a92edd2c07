"""Lambda's event source mappings, on the local stack: what feeds the inspect and notify handlers.

- `SqsEventSource` polls a queue (moto) and invokes its handler (inspect, undo) with SQS events:
  batches of up to 10, partial batch failures deleted or left for their visibility timeout, a
  function error leaving the whole batch to return, the queue's own redrive to its dead letters.
- `StreamEventSource` reads the incidents table's stream (DynamoDB Local) shard by shard and invokes
  the notify handler with the template's filter applied, retrying failed records from the first
  failure (as Lambda's checkpointing does) up to MaximumRetryAttempts, then the on-failure list.
- `ScheduleEventSource` is EventBridge's schedule for the reconcile function: a Scheduled Event
  every `interval` seconds, or on demand (`invoke`), one run at a time (its reserved concurrency).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from takedown_local.lambda_runtime import LambdaContext

log = logging.getLogger("takedown.local")


class Poller(threading.Thread):
    """A background loop that stops when asked; errors are logged, never silently swallowed."""

    def __init__(self, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                if not self.poll_once():
                    self._stopping.wait(0.05)
            except Exception:  # noqa: BLE001 - a poller must outlive one bad batch, and say so
                log.exception("%s failed a poll", self.name)
                self._stopping.wait(1)

    def poll_once(self) -> bool:
        raise NotImplementedError

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=10)


class SqsEventSource(Poller):
    """Lambda's SQS event source mapping (the inspect and undo functions), against moto."""

    def __init__(self, sqs: Any, queue_url: str, queue_arn: str, handler: ModuleType, function_name: str) -> None:
        super().__init__(f"{function_name}-queue")
        self._sqs, self._queue_url, self._queue_arn, self._handler = sqs, queue_url, queue_arn, handler
        self._function_name = function_name

    def poll_once(self) -> bool:
        messages = self._sqs.receive_message(
            QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return False
        event = {"Records": [self._record(message) for message in messages]}
        try:
            response = self._handler.lambda_handler(event, LambdaContext(function_name=self._function_name))
        except Exception:  # noqa: BLE001 - a function error: every message returns after its visibility timeout
            log.warning("%s failed a batch of %d; SQS will deliver it again", self._function_name, len(messages))
            return True
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return True

    def _record(self, message: dict) -> dict:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self._queue_arn,
            "awsRegion": "eu-west-2",
        }


class ScheduleEventSource(Poller):
    """EventBridge's schedule (the reconcile function's `Schedule` event), every `interval` seconds.

    `invoke` runs the function now, with the same Scheduled Event plus what the caller adds (a
    manual invocation), and returns its answer; a run never overlaps another, scheduled or not."""

    def __init__(self, handler: ModuleType, function_name: str, interval: float) -> None:
        super().__init__(f"{function_name}-schedule")
        self._handler, self._function_name, self._interval = handler, function_name, interval
        self._running = threading.Lock()

    def poll_once(self) -> bool:
        if not self._stopping.wait(self._interval if self._interval > 0 else None):  # 0: only on demand
            self.invoke()
        return True

    def invoke(self, **detail: Any) -> Any:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "eu-west-2",
            "resources": [f"arn:aws:events:eu-west-2:123456789012:rule/{self._function_name}"],
            "detail": {},
            **detail,
        }
        with self._running:
            return self._handler.lambda_handler(event, LambdaContext(function_name=self._function_name))


class StreamEventSource(Poller):
    """Lambda's DynamoDB stream event source mapping for the notify function, on DynamoDB Local."""

    def __init__(self, streams: Any, stream_arn: str, handler: ModuleType, source: dict, retry_seconds: float) -> None:
        super().__init__("incidents-stream")
        self._streams, self._stream_arn, self._handler = streams, stream_arn, handler
        self._filters = [json.loads(f["Pattern"]) for f in source.get("FilterCriteria", {}).get("Filters", [])]
        self._max_retries = int(source.get("MaximumRetryAttempts", 8))
        self._retry_seconds = retry_seconds
        self._iterators: dict[str, str | None] = {}
        self._checkpoints: dict[str, str] = {}  # shard -> last sequence number delivered
        self._closed: set[str] = set()
        self.dead_letters: list[dict] = []

    def poll_once(self) -> bool:
        for shard in self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"]:
            if shard["ShardId"] not in self._closed and self._iterators.get(shard["ShardId"]) is None:
                self._iterators[shard["ShardId"]] = self._iterator(shard["ShardId"])
        progressed = False
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            try:
                page = self._streams.get_records(ShardIterator=iterator, Limit=10)
            except (
                self._streams.exceptions.TrimmedDataAccessException,
                self._streams.exceptions.ExpiredIteratorException,
            ):
                self._iterators[shard_id] = None  # taken afresh from the checkpoint on the next poll
                continue
            self._iterators[shard_id] = page.get("NextShardIterator")
            if self._iterators[shard_id] is None:
                self._closed.add(shard_id)
            if page["Records"]:
                self._checkpoints[shard_id] = page["Records"][-1]["dynamodb"]["SequenceNumber"]
            records = [self._record(r) for r in page["Records"]]
            records = [r for r in records if not self._filters or any(_matches(f, r) for f in self._filters)]
            if records:
                self._deliver(records)
                progressed = True
        return progressed

    def _iterator(self, shard_id: str) -> str:
        if shard_id in self._checkpoints:
            position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self._checkpoints[shard_id]}
        else:
            position = {"ShardIteratorType": "TRIM_HORIZON"}
        return self._streams.get_shard_iterator(StreamArn=self._stream_arn, ShardId=shard_id, **position)[
            "ShardIterator"
        ]

    def _deliver(self, records: list[dict]) -> None:
        attempt = 0
        while records and not self._stopping.is_set():
            try:
                response = self._handler.lambda_handler(
                    {"Records": records}, LambdaContext(function_name="takedown-notify")
                )
                failures = [item["itemIdentifier"] for item in response.get("batchItemFailures", [])]
            except Exception:  # noqa: BLE001 - a function error: Lambda retries the whole batch
                log.warning("notify failed a batch of %d; retrying it", len(records))
                failures = [record["dynamodb"]["SequenceNumber"] for record in records]
            if not failures:
                return
            first_failed = next(i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] in failures)
            records = records[first_failed:]  # checkpoint: what came before is done
            attempt += 1
            if attempt > self._max_retries:
                log.error("stream records sent to the on-failure destination: %d", len(records))
                self.dead_letters.extend(records)
                return
            self._stopping.wait(self._retry_seconds)

    def _record(self, record: dict) -> dict:
        data = dict(record["dynamodb"])
        created = data.get("ApproximateCreationDateTime")
        if created is not None and not isinstance(created, int | float):
            data["ApproximateCreationDateTime"] = created.timestamp()
        return {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": record.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": "eu-west-2",
            "dynamodb": data,
            "eventSourceARN": self._stream_arn,
        }


def _matches(pattern: Any, value: Any) -> bool:
    """Lambda event filtering for the pattern shapes the template uses: nested keys, lists of values."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and _matches(p, value[k]) for k, p in pattern.items())
    if isinstance(pattern, list):
        return value in pattern
    return pattern == value
