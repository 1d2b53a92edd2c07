"""The inspect and undo Lambda handlers on moto's SQS, DynamoDB and Secrets Manager, with the X
stand-in: inspection records the incident and hands the undo on without calling X, whatever X is
doing; the undo handler turns X's 429 into a delayed message (the record itself succeeds, so
nothing is redelivered early or dead-lettered) and the incident says when it will try again; a
poison message on the inspect queue fails alone."""

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
from tests.evidence_support import evidence_bucket

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
    undo_queue_url: str
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
        undo_queue_url = sqs.create_queue(QueueName="h-undo", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
        teams = secrets.create_secret(Name="h/teams", SecretString=json.dumps({"url": "http://127.0.0.1:9/teams"}))
        for name, value in {
            "INCIDENTS_TABLE": tables["IncidentsTable"],
            "ACCOUNTS_TABLE": tables["AccountsTable"],
            "CONTROL_TABLE": tables["ControlTable"],
            "INSPECTION_LEDGER_TABLE": tables["InspectionLedgerTable"],
            "UNDO_QUEUE_URL": undo_queue_url,
            "X_API_BASE_URL": x.url,
            "X_CONSUMER_SECRET_ID": consumer["ARN"],
            "X_ACCOUNT_SECRET_PREFIX": "h/x-account/",
            "TEAMS_WEBHOOK_SECRET_ID": teams["ARN"],
            "UNDO_MAX_RECEIVE_COUNT": "5",
            "BREAKER_MAX_UNDOS": "20",
            "BREAKER_WINDOW_MINUTES": "10",
            **evidence_bucket()["env"],
        }.items():
            monkeypatch.setenv(name, value)
        yield World(sqs, queue_url, undo_queue_url, IncidentStore(dynamodb, tables["IncidentsTable"]), x)


@pytest.fixture
def inspect() -> ModuleType:
    return load_function("inspect")


@pytest.fixture
def undo() -> ModuleType:
    return load_function("undo")


def received_event(world: World, bodies: tuple[str, ...] = (CANDIDATE.model_dump_json(),)) -> dict[str, Any]:
    """The candidates sent to the inspect queue and received from it, as the SQS event Lambda would pass."""
    for index, body in enumerate(bodies):
        world.sqs.send_message(
            QueueUrl=world.queue_url,
            MessageBody=body,
            MessageGroupId=f"group-{index}",
            MessageDeduplicationId=f"dedup-{index}",
        )
    messages = world.sqs.receive_message(QueueUrl=world.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])
    return {"Records": [_record(message, "h-inspect.fifo") for message in messages["Messages"]]}


def undo_event(world: World) -> dict[str, Any]:
    """What the undo queue holds now, as the SQS event Lambda would pass."""
    messages = world.sqs.receive_message(QueueUrl=world.undo_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])
    return {"Records": [_record(message, "h-undo") for message in messages.get("Messages", [])]}


def _record(message: dict[str, Any], queue: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message["Attributes"],
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:eu-west-2:123456789012:{queue}",
        "awsRegion": "eu-west-2",
    }


def test_inspection_records_the_incident_and_hands_the_undo_on_without_calling_x(
    world: World, inspect: ModuleType, lambda_context: LambdaContext
) -> None:
    world.x.fail_next(429, reset_in=120)  # whatever X is doing
    assert inspect.lambda_handler(received_event(world), lambda_context) == {"batchItemFailures": []}
    assert world.x.calls == []
    incident = world.incidents.get(Incident.id_for(ACCOUNT, CANDIDATE.post_id))
    assert incident is not None
    assert (incident.status, incident.undo_attempts) == (IncidentStatus.DETECTED, 0)
    assert incident.undo_scheduled_for is not None
    (record,) = undo_event(world)["Records"]
    assert json.loads(record["body"])["incident_id"] == incident.incident_id


def test_a_rate_limit_becomes_a_delayed_undo_and_the_incident_says_when(
    world: World, inspect: ModuleType, undo: ModuleType, lambda_context: LambdaContext
) -> None:
    inspect.lambda_handler(received_event(world), lambda_context)
    world.x.fail_next(429, reset_in=120)
    event = undo_event(world)
    assert undo.lambda_handler(event, lambda_context) == {"batchItemFailures": []}
    (done,) = event["Records"]  # a record that succeeded is deleted by the event source mapping
    world.sqs.delete_message(QueueUrl=world.undo_queue_url, ReceiptHandle=done["receiptHandle"])
    assert [call["status"] for call in world.x.calls] == [429]
    assert undo_event(world)["Records"] == []  # the new message is delayed until X's reset
    incident = world.incidents.get(Incident.id_for(ACCOUNT, CANDIDATE.post_id))
    assert incident is not None
    assert (incident.status, incident.undo_attempts) == (IncidentStatus.DETECTED, 1)
    assert incident.history[-1].note.startswith("undo scheduled at ")
    assert incident.history[-1].note.endswith("UTC — X rate limit")


def test_without_a_rate_limit_the_repost_is_undone(
    world: World, inspect: ModuleType, undo: ModuleType, lambda_context: LambdaContext
) -> None:
    inspect.lambda_handler(received_event(world), lambda_context)
    assert undo.lambda_handler(undo_event(world), lambda_context) == {"batchItemFailures": []}
    incident = world.incidents.get(Incident.id_for(ACCOUNT, CANDIDATE.post_id))
    assert incident is not None and incident.status is IncidentStatus.UNDONE


def test_a_poison_message_fails_alone(world: World, inspect: ModuleType, lambda_context: LambdaContext) -> None:
    event = received_event(world, ('{"not": "a candidate"}', CANDIDATE.model_dump_json()))
    poison = next(r["messageId"] for r in event["Records"] if "not" in r["body"])
    response = inspect.lambda_handler(event, lambda_context)
    assert response == {"batchItemFailures": [{"itemIdentifier": poison}]}
    assert world.incidents.get(Incident.id_for(ACCOUNT, CANDIDATE.post_id)) is not None


def test_an_all_poison_batch_is_failed_back(world: World, inspect: ModuleType, lambda_context: LambdaContext) -> None:
    with pytest.raises(BatchProcessingError):
        inspect.lambda_handler(received_event(world, ("[]",)), lambda_context)
