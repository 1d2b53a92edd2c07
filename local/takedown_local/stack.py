"""All of Takedown on one machine, with the same Lambda code: only endpoints differ.

This module starts and stops the parts and wires them together; the parts are in their own modules.

- DynamoDB Local (AWS's engine) holds the tables, created from template.yaml's definitions;
- moto in server mode stands in for SQS, Secrets Manager and S3 (the evidence bucket, with Object
  Lock, and the KMS key its objects name);
- the real webhook handler answers HTTP requests turned into API Gateway HTTP API v2 events;
- the inspect queue feeds the real inspect handler, and the undo queue the real undo handler, as
  SQS events (Lambda's event source mapping: batches, partial failures, visibility timeouts,
  delayed messages, the redrive to the dead-letter queue);
- the incidents table's stream feeds the real notify handler (retries of failed records, then the
  on-failure destination), with the template's filter applied;
- EventBridge's schedule runs the real reconcile handler (the sweep for lost webhooks) every
  `sweep_interval_seconds`, and `sweep()` runs it at once;
- the X API and Teams stand-ins record what they receive.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from moto.server import ThreadedMotoServer

from takedown.webhook import WEBHOOK_PATH
from takedown_local import TEMPLATE
from takedown_local.api_gateway import WebhookServer
from takedown_local.console_server import ConsoleServer
from takedown_local.dynamodb_local import DynamoDBLocal, free_port, local_client, require_free_port
from takedown_local.event_sources import Poller, ScheduleEventSource, SqsEventSource, StreamEventSource
from takedown_local.lambda_runtime import load_function
from takedown_local.sample_events import SAMPLE_CONSUMER_SECRET
from takedown_local.standins import TeamsStandIn, XStandIn
from takedown_local.template import (
    create_evidence_bucket,
    create_queue_with_dead_letters,
    create_tables,
    max_receive_count,
    notify_event_source,
    parameter_default,
)

SAMPLE_ACCOUNT_ID = "1000000000000000001"
SAMPLE_ACCOUNT_HANDLE = "ExampleConstab"
LOCAL_CONSUMER_KEY = "takedownlocalconsumerkey"  # letters and digits only, as OAuth 1.0a keys are
log = logging.getLogger("takedown.local")


@dataclass(frozen=True)
class StackOptions:
    port: int = 0  # the webhook's; 0 picks free ports (the default everywhere)
    moto_port: int = 0
    dynamodb_port: int = 0
    x_port: int = 0
    x_rate_limit: int = 50  # X's: 50 undo requests per 15 minutes per account
    x_rate_window_seconds: float = 15 * 60  # tests shorten X's window to see a reset
    consumer_secret: str = SAMPLE_CONSUMER_SECRET
    account_ids: tuple[str, ...] = (SAMPLE_ACCOUNT_ID,)  # each subscribed, in enforce mode, with credentials
    account_handle: str = SAMPLE_ACCOUNT_HANDLE  # the first account's
    retry_base_seconds: int = 1  # the cloud waits longer between retries; locally, seconds matter
    stream_retry_seconds: float = 1.0
    breaker_max_undos: int = 20  # template.yaml's BreakerMaxUndos default
    breaker_window_minutes: int = 10
    # 0: only when asked (`sweep()`), so that no sweep takes a fault a test queued for another call;
    # `takedown-local serve` sweeps every 300 s, as template.yaml's ReconcileSchedule, rate(5 minutes).
    sweep_interval_seconds: float = 0
    sweep_settle_seconds: int = 60  # posts younger than this wait for the next sweep: their webhook may come

    @property
    def account_id(self) -> str:
        """The first subscribed account."""
        return self.account_ids[0]


class LocalStack:
    """Starts every part, wires the real handlers to them, and stops them in reverse order."""

    _started_in_process = 0

    def __init__(self, options: StackOptions = StackOptions()) -> None:
        self.options = options
        self._stoppers: list[Any] = []
        self._previous_environment: dict[str, str | None] = {}  # the handlers read os.environ
        if not options.account_ids or len(set(options.account_ids)) != len(options.account_ids):
            raise ValueError("account_ids must name at least one account, each once")
        # X's access tokens look like "<user id>-<random>"; one per subscribed account.
        self.access_tokens = {account: f"{account}-{secrets.token_hex(8)}" for account in options.account_ids}
        self._token_secrets = {token: secrets.token_urlsafe(24) for token in self.access_tokens.values()}
        self.access_token = self.access_tokens[options.account_id]
        # moto keeps its state per process, whichever server serves it: a second stack in the same
        # process (tests) names its queues and secrets apart. The first is plain "takedown", as
        # events/env.json expects.
        LocalStack._started_in_process += 1
        self.name = "takedown" if LocalStack._started_in_process == 1 else f"takedown{LocalStack._started_in_process}"
        self.account_secret_prefix = f"{self.name}/x-account/"
        self.app_bearer_token = secrets.token_urlsafe(24)  # the X app's, for `takedown webhook|accounts|replay`
        self.app_secret_id = f"{self.name}/x-app"

    def start(self) -> Self:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        options = self.options
        for port, part in (
            (options.port, "the webhook"),
            (options.moto_port, "moto (SQS, Secrets Manager, S3)"),
            (options.dynamodb_port, "DynamoDB Local"),
            (options.x_port, "the X stand-in"),
        ):
            require_free_port(port, part)
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
                self._token_secrets,
                port=options.x_port,
                rate_limit=options.x_rate_limit,
                rate_window_seconds=options.x_rate_window_seconds,
                app_bearer_token=self.app_bearer_token,
            )
        )
        self.teams = self._started(TeamsStandIn())
        ddb = local_client("dynamodb", self.dynamodb.endpoint_url)
        tables = create_tables(ddb, TEMPLATE, prefix=f"{self.name}-local-")
        self.incidents_table, self.accounts_table = tables["IncidentsTable"], tables["AccountsTable"]
        self.control_table = tables["ControlTable"]
        self.ledger_table = tables["InspectionLedgerTable"]
        sqs = local_client("sqs", self.moto_url)
        inspect_queue, inspect_dead_letters = create_queue_with_dead_letters(
            sqs, TEMPLATE, "InspectQueue", f"{self.name}-inspect.fifo"
        )
        undo_queue, undo_dead_letters = create_queue_with_dead_letters(sqs, TEMPLATE, "UndoQueue", f"{self.name}-undo")
        self.dead_letter_queue_url = inspect_dead_letters.url
        self.undo_dead_letter_queue_url = undo_dead_letters.url
        self.inspect_queue_url, self.undo_queue_url = inspect_queue.url, undo_queue.url
        self._create_secrets()
        s3, kms = local_client("s3", self.moto_url), local_client("kms", self.moto_url)
        self.evidence_bucket = create_evidence_bucket(s3, TEMPLATE, f"{self.name}-evidence")
        self.evidence_key_arn = kms.create_key(Description="Takedown evidence")["KeyMetadata"]["Arn"]
        self._console_port = free_port()
        environment = self._function_environment()
        self._previous_environment = {name: os.environ.get(name) for name in environment}
        os.environ.update(environment)
        self._put_account_policies(ddb)

        self.console = self._started(ConsoleServer(load_function("console"), self._console_port))
        self.webhook = self._started(WebhookServer(load_function("webhook"), options.port))
        # Lambda runs several environments of a queue's function at once, each with its own copy of
        # the handler module (its batch processor holds state): so do the pollers here.
        # Each environment is initialised before the stack says it is ready (as provisioned
        # concurrency would be), so the first burst does not wait on four model loads at once.
        for queue, function, concurrency, initialise in (
            (inspect_queue, "inspect", 4, "inspection"),
            (undo_queue, "undo", 2, "undo"),
        ):
            for _ in range(concurrency):
                handler = load_function(function)
                getattr(handler, initialise)()
                self._started_poller(
                    SqsEventSource(
                        local_client("sqs", self.moto_url), queue.url, queue.arn, handler, f"takedown-{function}"
                    )
                )  # fmt: skip
        notify = load_function("notify")
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
        self.schedule = self._started_poller(
            ScheduleEventSource(load_function("reconcile"), "takedown-reconcile", options.sweep_interval_seconds)
        )

    def sweep(self, account_ids: Sequence[str] = ()) -> dict[str, Any]:
        """Run the reconcile function (the sweep) now, for every account or those named; its answer."""
        answer: dict[str, Any] = self.schedule.invoke(**({"account_ids": list(account_ids)} if account_ids else {}))
        return answer

    def _started(self, part: Any) -> Any:
        part.start()
        self._stoppers.append(part)
        return part

    def _started_poller(self, poller: Poller) -> Any:
        poller.start()
        self._stoppers.append(poller)
        return poller

    def _create_secrets(self) -> None:
        secrets_manager = local_client("secretsmanager", self.moto_url)
        values = {
            f"{self.name}/x-consumer": {
                "consumer_key": LOCAL_CONSUMER_KEY,
                "consumer_secret": self.options.consumer_secret,
            },
            f"{self.name}/teams-webhook": {"url": self.teams.webhook_url},
            self.app_secret_id: {"bearer_token": self.app_bearer_token},
        }
        for account, token in self.access_tokens.items():
            values[f"{self.account_secret_prefix}{account}"] = {
                "access_token": token,
                "access_token_secret": self._token_secrets[token],
            }
        for name, value in values.items():
            secrets_manager.create_secret(Name=name, SecretString=json.dumps(value))

    def _put_account_policies(self, ddb: Any) -> None:
        from takedown.policy import AccountPolicy, PolicyStore  # noqa: PLC0415 - after the environment is set

        policies = PolicyStore(ddb, self.accounts_table)
        for index, account in enumerate(self.options.account_ids):
            handle = self.options.account_handle if index == 0 else f"{self.options.account_handle}{index + 1}"
            policies.put_policy(AccountPolicy(account_id=account, handle=handle, mode="enforce"))

    def _function_environment(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "eu-west-2",
            "AWS_ENDPOINT_URL_SQS": self.moto_url,
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": self.moto_url,
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb.endpoint_url,
            "AWS_ENDPOINT_URL_S3": self.moto_url,
            "POWERTOOLS_SERVICE_NAME": "takedown",
            "POWERTOOLS_METRICS_NAMESPACE": "Takedown",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            "X_CONSUMER_SECRET_ID": f"{self.name}/x-consumer",
            "X_ACCOUNT_SECRET_PREFIX": self.account_secret_prefix,
            "X_API_BASE_URL": self.x.url,
            "INSPECT_QUEUE_URL": self.inspect_queue_url,
            "UNDO_QUEUE_URL": self.undo_queue_url,
            "INCIDENTS_TABLE": self.incidents_table,
            "ACCOUNTS_TABLE": self.accounts_table,
            "CONTROL_TABLE": self.control_table,
            "INSPECTION_LEDGER_TABLE": self.ledger_table,
            "RECONCILE_SETTLE_SECONDS": str(self.options.sweep_settle_seconds),
            "EVIDENCE_BUCKET": self.evidence_bucket,
            "EVIDENCE_KMS_KEY_ID": self.evidence_key_arn,
            "EVIDENCE_RETENTION_DAYS": str(parameter_default(TEMPLATE, {"Ref": "EvidenceRetentionDays"})),
            "UNDO_MAX_RECEIVE_COUNT": str(max_receive_count(TEMPLATE, "UndoQueue")),
            "UNDO_RETRY_BASE_SECONDS": str(self.options.retry_base_seconds),
            "BREAKER_MAX_UNDOS": str(self.options.breaker_max_undos),
            "BREAKER_WINDOW_MINUTES": str(self.options.breaker_window_minutes),
            "TEAMS_WEBHOOK_SECRET_ID": f"{self.name}/teams-webhook",
            "CONSOLE_URL": f"http://127.0.0.1:{self._console_port}/console",
        }

    def ready_line(self) -> dict[str, Any]:
        """What `takedown-local serve` prints when every part answers: everything a local `takedown`
        command needs (its environment under `env`), and the stand-ins' inspection endpoints."""
        return {
            "webhook_url": self.webhook.url + WEBHOOK_PATH,
            "review_url": self.console.review_url,  # the console, signed in as the local reviewer
            "x_api_url": self.x.url,
            "x_calls_url": self.x.url + "/_standin/calls",
            "teams_url": self.teams.webhook_url,
            "teams_cards_url": self.teams.url + "/_standin/cards",
            "dynamodb_url": self.dynamodb.endpoint_url,
            "sqs_url": self.moto_url,
            "secretsmanager_url": self.moto_url,
            "s3_url": self.moto_url,  # the evidence bucket: aws s3api get-object --bucket <evidence_bucket>
            "evidence_bucket": self.evidence_bucket,
            "consumer_secret": self.options.consumer_secret,
            "account_id": self.options.account_id,
            "account_ids": list(self.options.account_ids),
            "env": {
                name: os.environ[name]
                for name in (
                    "AWS_ACCESS_KEY_ID",
                    "AWS_SECRET_ACCESS_KEY",
                    "AWS_DEFAULT_REGION",
                    "AWS_ENDPOINT_URL_DYNAMODB",
                    "AWS_ENDPOINT_URL_SQS",
                    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                    "AWS_ENDPOINT_URL_S3",
                    "INCIDENTS_TABLE",
                    "ACCOUNTS_TABLE",
                    "CONTROL_TABLE",
                    "INSPECTION_LEDGER_TABLE",
                    "INSPECT_QUEUE_URL",
                    "UNDO_QUEUE_URL",
                    "X_API_BASE_URL",
                    "X_CONSUMER_SECRET_ID",
                    "X_ACCOUNT_SECRET_PREFIX",
                    "EVIDENCE_BUCKET",
                    "EVIDENCE_KMS_KEY_ID",
                    "EVIDENCE_RETENTION_DAYS",
                )
            }  # fmt: skip
            | {"X_APP_SECRET_ID": self.app_secret_id},
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
