"""The reconcile function as Lambda runs it (EventBridge's Scheduled Event), on moto and the X
stand-in: a repost whose webhook never came reaches the inspect queue, and the figures an alarm
reads come out as CloudWatch EMF metrics."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from takedown.policy import AccountPolicy, PolicyStore
from takedown.webhook import PostEvent
from takedown_local.event_sources import ScheduleEventSource
from takedown_local.lambda_runtime import LambdaContext, load_function
from takedown_local.stack import wait_for
from takedown_local.standins import XStandIn
from takedown_local.template import create_tables
from takedown_local.traffic import timeline_retweet
from tests.conftest import ROOT
from tests.evidence_support import evidence_bucket

ACCOUNT, REVOKED = "1000000000000000001", "1000000000000000002"
CONSUMER_KEY, CONSUMER_SECRET = "reconciletestconsumer", "reconcile-consumer-secret"
TOKENS = {f"{ACCOUNT}-reconciletoken": "reconcile-token-secret", f"{REVOKED}-revokedtoken": "revoked-secret"}
SCHEDULED = {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[XStandIn, Any, str, Any]]:
    with mock_aws(), XStandIn(CONSUMER_KEY, CONSUMER_SECRET, TOKENS) as x:
        dynamodb = boto3.client("dynamodb")
        tables = create_tables(dynamodb, ROOT / "template.yaml", prefix="r-")
        policies = PolicyStore(dynamodb, tables["AccountsTable"])
        for account in (ACCOUNT, REVOKED):
            policies.put_policy(AccountPolicy(account_id=account, mode="enforce"))
        secrets = boto3.client("secretsmanager")
        secrets.create_secret(
            Name="r/x-consumer",
            SecretString=json.dumps({"consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET}),
        )
        for token, secret in TOKENS.items():
            secrets.create_secret(
                Name=f"r/x-account/{token.split('-')[0]}",
                SecretString=json.dumps({"access_token": token, "access_token_secret": secret}),
            )
        sqs = boto3.client("sqs")
        queue_url = sqs.create_queue(QueueName="r-inspect.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        evidence = evidence_bucket()
        for name, value in {
            **evidence["env"],
            "ACCOUNTS_TABLE": tables["AccountsTable"],
            "CONTROL_TABLE": tables["ControlTable"],
            "INSPECTION_LEDGER_TABLE": tables["InspectionLedgerTable"],
            "INSPECT_QUEUE_URL": queue_url,
            "X_API_BASE_URL": x.url,
            "X_CONSUMER_SECRET_ID": "r/x-consumer",
            "X_ACCOUNT_SECRET_PREFIX": "r/x-account/",
        }.items():
            monkeypatch.setenv(name, value)
        yield x, sqs, queue_url, evidence["s3"]


@pytest.fixture
def reconcile() -> ModuleType:
    handler = load_function("reconcile")
    # Powertools keeps one metric set per process: a local stack run earlier in this process (metrics
    # disabled, so never flushed) may have left its figures in it.
    handler.metrics.clear_metrics()
    return handler


def emitted_metrics(output: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        record = json.loads(line)
        for metric in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            values = record[metric["Name"]]
            totals[metric["Name"]] = totals.get(metric["Name"], 0) + sum(
                values if isinstance(values, list) else [values]
            )
    return totals


def test_a_scheduled_sweep_sends_the_lost_repost_and_reports_every_account(
    world: tuple[XStandIn, Any, str, Any], reconcile: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    x, sqs, queue_url, s3 = world
    x.publish(
        *timeline_retweet(ACCOUNT, 2090000000000000401, 2080000000000000401, datetime.now(UTC) - timedelta(minutes=4))
    )
    x.revoke(f"{REVOKED}-revokedtoken")
    answer = reconcile.lambda_handler(SCHEDULED, LambdaContext())
    assert answer == {"accounts": 2, "failed": [REVOKED], "enqueued": 1}
    (message,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    event = PostEvent.model_validate_json(message["Body"])
    assert (event.post_id, event.found_by, event.referenced_post_id) == (
        "2090000000000000401",
        "sweep",
        "2080000000000000401",
    )
    assert event.raw_source is not None and event.raw_source.origin == "sweep"
    kept = s3.get_object(Bucket="takedown-test-evidence", Key=event.raw_source.body.key)
    body = kept["Body"].read()
    assert hashlib.sha256(body).hexdigest() == event.raw_source.body.sha256 and event.post in json.loads(body)["data"]
    assert kept["ObjectLockMode"] == "GOVERNANCE"
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["SweepPostsRead"] == 1 and metrics["SweepRepostsEnqueued"] == 1
    assert metrics["SweepFailures"] == 1 and metrics["XAuthFailures"] == 1


def test_a_manual_invocation_sweeps_only_the_accounts_it_names(
    world: tuple[XStandIn, Any, str, Any], reconcile: ModuleType
) -> None:
    assert reconcile.lambda_handler({"account_ids": [ACCOUNT]}, LambdaContext()) == {
        "accounts": 1, "failed": [], "enqueued": 0,
    }  # fmt: skip
    with pytest.raises(ValueError, match="account_ids must be a non-empty list"):
        reconcile.lambda_handler({"account_ids": "everyone"}, LambdaContext())


def test_the_local_schedule_runs_the_function_every_interval_and_on_demand_never_two_at_once() -> None:
    runs: list[dict[str, Any]] = []
    overlapping: list[bool] = []
    running = threading.Event()

    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        overlapping.append(running.is_set())
        running.set()
        runs.append(event)
        time.sleep(0.02)
        running.clear()
        return {"run": len(runs)}

    handler = ModuleType("reconcile")
    handler.lambda_handler = lambda_handler  # type: ignore[attr-defined]
    schedule = ScheduleEventSource(handler, "takedown-reconcile", interval=0.05)
    schedule.start()
    try:
        assert schedule.invoke(account_ids=[ACCOUNT])["run"] >= 1
        wait_for(lambda: len(runs) >= 4, timeout=10)
    finally:
        schedule.stop()
    assert {run["detail-type"] for run in runs} == {"Scheduled Event"} and not any(overlapping)
    assert [run.get("account_ids") for run in runs].count([ACCOUNT]) == 1
    on_demand = ScheduleEventSource(handler, "takedown-reconcile", interval=0)
    on_demand.start()
    count = len(runs)
    on_demand.stop()
    assert len(runs) == count  # interval 0: only when asked
