"""Inspect figures: in-process time from an SQS message entering the inspect handler to the undo
request leaving it for the undo queue, with moto's DynamoDB for the incident and the policy read
and moto's S3 for the evidence kept before it.
moto is slower than DynamoDB (~5 ms a write), so this is an upper bound on our own code's share."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

import boto3
from moto import mock_aws

from bench.context import emit
from takedown.incidents.store import IncidentStore
from takedown.inspection import Inspector, QueuedInspection
from takedown.ledger import InspectionLedger
from takedown.policy import AccountPolicy, PolicyStore
from takedown.signatures import SignatureEngine
from takedown.webhook import read_delivery
from takedown_local.lambda_runtime import LambdaContext, load_function
from takedown_local.template import create_tables
from tests.evidence_support import evidence_bucket

MESSAGES = 300
ACCOUNT = "1000000000000000001"


class _TimedUndoQueue:
    """Stands where the undo request leaves for SQS; records when it is reached."""

    def __init__(self) -> None:
        self.reached: list[float] = []

    def schedule(self, request: object, delay_seconds: int = 0) -> None:
        self.reached.append(time.perf_counter())


def main() -> None:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="eu-west-2",
        POWERTOOLS_SERVICE_NAME="takedown", POWERTOOLS_LOG_LEVEL="ERROR", POWERTOOLS_METRICS_NAMESPACE="Takedown",
        UNDO_QUEUE_URL="https://sqs.eu-west-2.amazonaws.com/123456789012/bench-undo",
        INCIDENTS_TABLE="bench-IncidentsTable", ACCOUNTS_TABLE="bench-AccountsTable",
        X_CONSUMER_SECRET_ID="bench", X_ACCOUNT_SECRET_PREFIX="bench/",
    )  # fmt: skip
    body = json.loads((ROOT / "events" / "webhook_aaa_retweet_illegal_stream.json").read_text())["body"]

    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        tables = create_tables(dynamodb, ROOT / "template.yaml", prefix="bench-")
        policies = PolicyStore(dynamodb, tables["AccountsTable"])
        policies.put_policy(AccountPolicy(account_id=ACCOUNT, mode="enforce"))
        x = _TimedUndoQueue()
        inspector = Inspector(
            SignatureEngine.load_default(), policies, IncidentStore(dynamodb, tables["IncidentsTable"]),
            x, load_function("inspect").PowertoolsInspectionMetrics(), evidence=evidence_bucket()["locker"],
        )  # fmt: skip
        handler = load_function("inspect")
        queued = QueuedInspection(inspector, InspectionLedger(dynamodb, tables["InspectionLedgerTable"]))
        handler.inspection = lambda: queued
        (candidate,) = read_delivery(body, datetime.now(UTC)).candidates
        started = []
        real_stdout, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115 - EMF metric lines
        for index in range(MESSAGES):
            message = candidate.model_copy(update={"post_id": str(7_000_000_000_000_000_000 + index)})
            record = {
                "messageId": str(index), "receiptHandle": "r", "body": message.model_dump_json(),
                "attributes": {"ApproximateReceiveCount": "1", "MessageGroupId": ACCOUNT},
                "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-2:123456789012:bench.fifo", "awsRegion": "eu-west-2",
            }  # fmt: skip
            started.append(time.perf_counter())
            handler.lambda_handler({"Records": [record]}, LambdaContext())
        sys.stdout = real_stdout
    took = sorted((reached - start) * 1000 for start, reached in zip(started, x.reached, strict=True))
    for q in (50, 99):
        emit(
            f"inspect_receipt_to_undo_request_p{q}", took[int(len(took) * q / 100)], "ms", messages=MESSAGES,
            includes="SQS record parse, ledger, policy read, classify, incident put, evidence kept in S3 (moto)",
        )  # fmt: skip


if __name__ == "__main__":
    main()
