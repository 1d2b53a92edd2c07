"""All of Takedown on one machine, with the same Lambda code: only endpoints differ.

- DynamoDB Local (AWS's engine) holds the tables, created from template.yaml's definitions;
- moto in server mode stands in for SQS and Secrets Manager;
- the real webhook handler answers HTTP requests turned into API Gateway HTTP API v2 events;
- the inspect queue feeds the real inspect handler as SQS events (Lambda's event source mapping:
  batches, partial failures, visibility timeouts, the redrive to the dead-letter queue);
- the incidents table's stream feeds the real notify handler (retries of failed records, then the
  on-failure destination), with the template's filter applied;
- the X API and Teams stand-ins record what they receive.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, Self

from moto.server import ThreadedMotoServer
from werkzeug.wrappers import Request, Response

from takedown_cli.local.dynamodb_local import DynamoDBLocal, free_port, local_client
from takedown_cli.local.http_api import http_api_event
from takedown_cli.local.lambda_runtime import LambdaContext, load_function
from takedown_cli.local.tables import (
    create_tables,
    inspect_redrive_max_receive_count,
    notify_event_source,
)
from takedown_cli.sample_events import SAMPLE_CONSUMER_SECRET
from takedown_cli.standins import TeamsStandIn, XStandIn
from takedown_cli.standins.server import LoopbackServer

TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"
WEBHOOK_PATH = "/webhooks/x"
SAMPLE_ACCOUNT_ID = "1000000000000000001"
SAMPLE_ACCOUNT_HANDLE = "ExampleConstab"
LOCAL_CONSUMER_KEY = "takedownlocalconsumerkey"  # letters and digits only, as OAuth 1.0a keys are
log = logging.getLogger("takedown.local")


@dataclass(frozen=True)
class StackOptions:
    port: int = 0  # the webhook's; 0 picks free ports (tests, demo)
    moto_port: int = 0
    dynamodb_port: int = 0
    x_port: int = 0
    x_rate_limit: int = 50  # X's: 50 undo requests per 15 minutes per account
    consumer_secret: str = SAMPLE_CONSUMER_SECRET
    account_id: str = SAMPLE_ACCOUNT_ID
    account_handle: str = SAMPLE_ACCOUNT_HANDLE
    retry_base_seconds: int = 1  # the cloud waits longer between retries; locally, seconds matter
    stream_retry_seconds: float = 1.0


class WebhookServer(LoopbackServer):
    """HTTP in, API Gateway HTTP API v2 event to the real handler, its response out."""

    def __init__(self, handler: ModuleType, port: int = 0) -> None:
        super().__init__(port)
        self._handler = handler

    def handle(self, request: Request) -> Response:
        if request.path != WEBHOOK_PATH:
            return Response('{"message":"Not Found"}', status=404, content_type="application/json")
        event = http_api_event(
            request.method,
            request.path,
            request.query_string.decode("latin-1"),
            dict(request.headers),
            request.get_data(cache=False),
            source_ip=request.remote_addr or "127.0.0.1",
        )
        result = self._handler.lambda_handler(event, LambdaContext(function_name="takedown-webhook"))
        return Response(result.get("body") or "", status=result["statusCode"], headers=result.get("headers"))


class _Poller(threading.Thread):
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


class SqsEventSource(_Poller):
    """Lambda's SQS event source mapping for the inspect function, against moto."""

    def __init__(self, sqs: Any, queue_url: str, queue_arn: str, handler: ModuleType) -> None:
        super().__init__("inspect-queue")
        self._sqs, self._queue_url, self._queue_arn, self._handler = sqs, queue_url, queue_arn, handler

    def poll_once(self) -> bool:
        messages = self._sqs.receive_message(
            QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return False
        event = {"Records": [self._record(message) for message in messages]}
        try:
            response = self._handler.lambda_handler(event, LambdaContext(function_name="takedown-inspect"))
        except Exception:  # noqa: BLE001 - a function error: every message returns after its visibility timeout
            log.warning("inspect failed a batch of %d; SQS will deliver it again", len(messages))
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


class StreamEventSource(_Poller):
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


class LocalStack:
    """Starts every part, wires the real handlers to them, and stops them in reverse order."""

    def __init__(self, options: StackOptions = StackOptions()) -> None:
        self.options = options
        self._stoppers: list[Any] = []
        self._previous_environment: dict[str, str | None] = {}  # the handlers read os.environ
        self.access_token = f"{options.account_id}-{secrets.token_hex(8)}"
        self._access_token_secret = secrets.token_urlsafe(24)

    def start(self) -> Self:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        options = self.options
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
        self.dynamodb = self._started(DynamoDBLocal(options.dynamodb_port))
        moto_port = options.moto_port or free_port()
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        self.moto.start()
        self._stoppers.append(self.moto)
        self.moto_url = f"http://127.0.0.1:{moto_port}"
        self.x = self._started(
            XStandIn(
                LOCAL_CONSUMER_KEY,
                options.consumer_secret,
                {self.access_token: self._access_token_secret},
                port=options.x_port,
                rate_limit=options.x_rate_limit,
            )
        )
        self.teams = self._started(TeamsStandIn())
        ddb = local_client("dynamodb", self.dynamodb.endpoint_url)
        tables = create_tables(ddb, TEMPLATE, prefix="takedown-local-")
        self.incidents_table, self.accounts_table = tables["IncidentsTable"], tables["AccountsTable"]
        queue_url, queue_arn = self._create_queues()
        self._create_secrets()
        environment = self._function_environment(queue_url)
        self._previous_environment = {name: os.environ.get(name) for name in environment}
        os.environ.update(environment)
        self._put_account_policy(ddb)

        webhook, inspect, notify = (load_function(name) for name in ("webhook", "inspect", "notify"))
        self.webhook = self._started(WebhookServer(webhook, options.port))
        self.sqs_source = self._started_poller(
            SqsEventSource(local_client("sqs", self.moto_url), queue_url, queue_arn, inspect)
        )
        stream_arn = ddb.describe_table(TableName=self.incidents_table)["Table"]["LatestStreamArn"]
        self.stream_source = self._started_poller(
            StreamEventSource(
                local_client("dynamodbstreams", self.dynamodb.endpoint_url),
                stream_arn,
                notify,
                notify_event_source(TEMPLATE),
                options.stream_retry_seconds,
            )
        )

    def _started(self, part: Any) -> Any:
        part.start()
        self._stoppers.append(part)
        return part

    def _started_poller(self, poller: _Poller) -> Any:
        poller.start()
        self._stoppers.append(poller)
        return poller

    def _create_queues(self) -> tuple[str, str]:
        sqs = local_client("sqs", self.moto_url)
        dlq_url = sqs.create_queue(QueueName="takedown-inspect-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = {
            "deadLetterTargetArn": dlq_arn,
            "maxReceiveCount": inspect_redrive_max_receive_count(TEMPLATE),
        }
        queue_url = sqs.create_queue(
            QueueName="takedown-inspect.fifo",
            Attributes={"FifoQueue": "true", "VisibilityTimeout": "10", "RedrivePolicy": json.dumps(redrive)},
        )["QueueUrl"]
        self.dead_letter_queue_url = dlq_url
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return queue_url, arn

    def _create_secrets(self) -> None:
        secrets_manager = local_client("secretsmanager", self.moto_url)
        values = {
            "takedown/x-consumer": {
                "consumer_key": LOCAL_CONSUMER_KEY,
                "consumer_secret": self.options.consumer_secret,
            },
            f"takedown/x-account/{self.options.account_id}": {
                "access_token": self.access_token,
                "access_token_secret": self._access_token_secret,
            },
            "takedown/teams-webhook": {"url": self.teams.webhook_url},
        }
        for name, value in values.items():
            secrets_manager.create_secret(Name=name, SecretString=json.dumps(value))

    def _put_account_policy(self, ddb: Any) -> None:
        from takedown.policy import AccountPolicy, PolicyStore  # noqa: PLC0415 - after the environment is set

        PolicyStore(ddb, self.accounts_table).put_policy(
            AccountPolicy(account_id=self.options.account_id, handle=self.options.account_handle, mode="enforce")
        )

    def _function_environment(self, queue_url: str) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "eu-west-2",
            "AWS_ENDPOINT_URL_SQS": self.moto_url,
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": self.moto_url,
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb.endpoint_url,
            "POWERTOOLS_SERVICE_NAME": "takedown",
            "POWERTOOLS_METRICS_NAMESPACE": "Takedown",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            "X_CONSUMER_SECRET_ID": "takedown/x-consumer",
            "X_ACCOUNT_SECRET_PREFIX": "takedown/x-account/",
            "X_API_BASE_URL": self.x.url,
            "INSPECT_QUEUE_URL": queue_url,
            "INCIDENTS_TABLE": self.incidents_table,
            "ACCOUNTS_TABLE": self.accounts_table,
            "INSPECT_MAX_RECEIVE_COUNT": str(inspect_redrive_max_receive_count(TEMPLATE)),
            "INSPECT_RETRY_BASE_SECONDS": str(self.options.retry_base_seconds),
            "TEAMS_WEBHOOK_SECRET_ID": "takedown/teams-webhook",
        }

    def ready_line(self) -> dict[str, str]:
        """What `takedown local serve` prints when every part answers."""
        return {
            "webhook_url": self.webhook.url + WEBHOOK_PATH,
            "x_api_url": self.x.url,
            "x_calls_url": self.x.url + "/_standin/calls",
            "teams_url": self.teams.webhook_url,
            "teams_cards_url": self.teams.url + "/_standin/cards",
            "dynamodb_url": self.dynamodb.endpoint_url,
            "consumer_secret": self.options.consumer_secret,
            "account_id": self.options.account_id,
        }

    def stop(self) -> None:
        while self._stoppers:
            part = self._stoppers.pop()
            try:
                part.stop()
            except Exception:  # noqa: BLE001 - stop every other part whatever one did
                log.exception("stopping %s failed", type(part).__name__)
        for name, value in self._previous_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._previous_environment = {}

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def wait_for(condition: Any, timeout: float, interval: float = 0.05) -> Any:
    """Poll `condition()` until it returns something truthy; raise TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout} s")
