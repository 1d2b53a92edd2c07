"""All of Takedown on one machine, with the same Lambda code: only endpoints differ.

This module starts and stops the parts and wires them together; the parts are in their own modules.

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
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from moto.server import ThreadedMotoServer

from takedown.webhook import WEBHOOK_PATH
from takedown_local import TEMPLATE
from takedown_local.api_gateway import WebhookServer
from takedown_local.dynamodb_local import DynamoDBLocal, free_port, local_client
from takedown_local.event_sources import Poller, SqsEventSource, StreamEventSource
from takedown_local.lambda_runtime import load_function
from takedown_local.sample_events import SAMPLE_CONSUMER_SECRET
from takedown_local.standins import TeamsStandIn, XStandIn
from takedown_local.template import create_inspect_queues, create_tables, inspect_max_receive_count, notify_event_source

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

    def _started_poller(self, poller: Poller) -> Any:
        poller.start()
        self._stoppers.append(poller)
        return poller

    def _create_queues(self) -> tuple[str, str]:
        queue, dead_letters = create_inspect_queues(local_client("sqs", self.moto_url), TEMPLATE, prefix="takedown-")
        self.dead_letter_queue_url = dead_letters.url
        return queue.url, queue.arn

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
            "INSPECT_MAX_RECEIVE_COUNT": str(inspect_max_receive_count(TEMPLATE)),
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
