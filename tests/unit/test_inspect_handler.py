"""The inspect Lambda handler's postpone path, on moto's SQS, DynamoDB and Secrets Manager, with the
X stand-in answering 429: the record is failed back to SQS (a batch whose every record failed is
raised, which Lambda also returns to the queue), its message waits out X's reset in the queue, and
the incident is written but not yet undone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from moto import mock_aws

from takedown.incidents.model import Incident, IncidentStatus
from takedown.incidents.store import IncidentStore
from takedown.policy import AccountPolicy, PolicyStore
from takedown.webhook import read_delivery
from takedown_local.lambda_runtime import LambdaContext, load_function
from takedown_local.standins import XStandIn
from takedown_local.template import create_tables
from tests.conftest import EVENTS, ROOT

ACCOUNT = "1000000000000000001"
CONSUMER_KEY, CONSUMER_SECRET = "handlertestconsumerkey", "handler-test-consumer-secret"
ACCESS_TOKEN, ACCESS_TOKEN_SECRET = f"{ACCOUNT}-handlertesttoken", "handler-test-token-secret"
(CANDIDATE,) = read_delivery(
    (EVENTS / "payloads" / "aaa_retweet_illegal_stream.json").read_bytes(), datetime.now(UTC)
).candidates


@dataclass
class World:
    sqs: Any
    queue_url: str
    incidents: IncidentStore
    x: XStandIn


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with mock_aws(), XStandIn(CONSUMER_KEY, CONSUMER_SECRET, {ACCESS_TOKEN: ACCESS_TOKEN_SECRET}) as x:
        dynamodb = boto3.client("dynamodb")
        tables = create_tables(dynamodb, ROOT / "template.yaml", prefix="h-")
        PolicyStore(dynamodb, tables["AccountsTable"]).put_policy(AccountPolicy(account_id=ACCOUNT, mode="enforce"))
        secrets = boto3.client("secretsmanager")
        consumer = secrets.create_secret(
            Name="h/x-consumer",
            SecretString=json.dumps({"consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET}),
        )
        secrets.create_secret(
            Name=f"h/x-account/{ACCOUNT}",
            SecretString=json.dumps({"access_token": ACCESS_TOKEN, "access_token_secret": ACCESS_TOKEN_SECRET}),
        )
        sqs = boto3.client("sqs")
        # No visibility timeout of its own: a message stays hidden only if the handler postponed it.
        queue_url = sqs.create_queue(
            QueueName="h-inspect.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "0"}
        )["QueueUrl"]
        for name, value in {
            "INCIDENTS_TABLE": tables["IncidentsTable"],
            "ACCOUNTS_TABLE": tables["AccountsTable"],
            "INSPECT_QUEUE_URL": queue_url,
            "X_API_BASE_URL": x.url,
            "X_CONSUMER_SECRET_ID": consumer["ARN"],
            "X_ACCOUNT_SECRET_PREFIX": "h/x-account/",
            "INSPECT_MAX_RECEIVE_COUNT": "8",
        }.items():
            monkeypatch.setenv(name, value)
        yield World(sqs, queue_url, IncidentStore(dynamodb, tables["IncidentsTable"]), x)


@pytest.fixture
def inspect() -> ModuleType:
    return load_function("inspect")


def received_event(world: World) -> tuple[dict[str, Any], str]:
    """The candidate sent to the queue and received from it, as the SQS event Lambda would pass."""
    world.sqs.send_message(
        QueueUrl=world.queue_url,
        MessageBody=CANDIDATE.model_dump_json(),
        MessageGroupId=ACCOUNT,
        MessageDeduplicationId=Incident.id_for(ACCOUNT, CANDIDATE.post_id),
    )
    (message,) = world.sqs.receive_message(QueueUrl=world.queue_url, AttributeNames=["All"])["Messages"]
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message["Attributes"],
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-2:123456789012:h-inspect.fifo",
        "awsRegion": "eu-west-2",
    }
    return {"Records": [record]}, message["MessageId"]


def test_a_rate_limit_fails_the_record_back_and_postpones_its_message(
    world: World, inspect: ModuleType, lambda_context: LambdaContext
) -> None:
    world.x.fail_next(429, reset_in=120)
    event, _ = received_event(world)

    with pytest.raises(BatchProcessingError, match="rate limited by X"):
        inspect.lambda_handler(event, lambda_context)

    assert [call["status"] for call in world.x.calls] == [429]
    assert world.sqs.receive_message(QueueUrl=world.queue_url).get("Messages") is None  # hidden until X's reset
    incident = world.incidents.get(Incident.id_for(ACCOUNT, CANDIDATE.post_id))
    assert incident is not None
    assert (incident.status, incident.undo_attempts) == (IncidentStatus.DETECTED, 1)


def test_without_a_rate_limit_the_record_succeeds_and_the_repost_is_undone(
    world: World, inspect: ModuleType, lambda_context: LambdaContext
) -> None:
    event, _ = received_event(world)
    assert inspect.lambda_handler(event, lambda_context) == {"batchItemFailures": []}
    incident = world.incidents.get(Incident.id_for(ACCOUNT, CANDIDATE.post_id))
    assert incident is not None and incident.status is IncidentStatus.UNDONE
