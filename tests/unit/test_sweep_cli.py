"""`takedown sweep`, run as an operator would: the tables and queue on moto, X the stand-in; what it
found per account, and each failure's exit code and one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from takedown.policy import AccountPolicy, PolicyStore
from takedown_cli.main import main
from takedown_local.standins import XStandIn
from takedown_local.template import create_tables
from takedown_local.traffic import timeline_retweet
from tests.conftest import ROOT
from tests.evidence_support import evidence_bucket

ACCOUNT, UNSET = "1000000000000000001", "1000000000000000003"
CONSUMER = {"consumer_key": "sweepcliconsumerkey", "consumer_secret": "sweep-cli-consumer-secret"}
TOKEN = {"access_token": f"{ACCOUNT}-5a6b7c8d9e0f1a2b", "access_token_secret": "sweep-cli-token-secret"}


@dataclass
class World:
    x: XStandIn
    sqs: object
    queue_url: str
    capsys: pytest.CaptureFixture[str]

    def run(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        assert "Traceback" not in out + err and TOKEN["access_token_secret"] not in out + err
        return code, out, err


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[World]:
    tokens = {TOKEN["access_token"]: TOKEN["access_token_secret"]}
    with mock_aws(), XStandIn(CONSUMER["consumer_key"], CONSUMER["consumer_secret"], tokens) as x:
        dynamodb = boto3.client("dynamodb")
        tables = create_tables(dynamodb, ROOT / "template.yaml", prefix="c-")
        policies = PolicyStore(dynamodb, tables["AccountsTable"])
        for account in (ACCOUNT, UNSET):  # UNSET: enforce mode, but nobody stored its tokens
            policies.put_policy(AccountPolicy(account_id=account, mode="enforce"))
        secrets = boto3.client("secretsmanager")
        secrets.create_secret(Name="c/x-consumer", SecretString=json.dumps(CONSUMER))
        secrets.create_secret(Name=f"c/x-account/{ACCOUNT}", SecretString=json.dumps(TOKEN))
        sqs = boto3.client("sqs")
        queue_url = sqs.create_queue(QueueName="c-inspect.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        for name, value in {
            **evidence_bucket()["env"],
            "ACCOUNTS_TABLE": tables["AccountsTable"],
            "CONTROL_TABLE": tables["ControlTable"],
            "INSPECTION_LEDGER_TABLE": tables["InspectionLedgerTable"],
            "INSPECT_QUEUE_URL": queue_url,
            "X_API_BASE_URL": x.url,
            "X_CONSUMER_SECRET_ID": "c/x-consumer",
            "X_ACCOUNT_SECRET_PREFIX": "c/x-account/",
            "RECONCILE_SETTLE_SECONDS": "0",
        }.items():
            monkeypatch.setenv(name, value)
        yield World(x, sqs, queue_url, capsys)


def test_sweeping_one_account_sends_its_lost_repost_and_says_so(world: World) -> None:
    made = datetime.now(UTC) - timedelta(minutes=2)
    world.x.publish(*timeline_retweet(ACCOUNT, 2090000000000000501, 2080000000000000501, made))
    code, out, _ = world.run("sweep", "--account", ACCOUNT)
    assert code == 0 and ACCOUNT in out and "1 repost(s) sent to inspection" in out
    (message,) = world.sqs.receive_message(QueueUrl=world.queue_url)["Messages"]  # type: ignore[attr-defined]
    assert json.loads(message["Body"])["found_by"] == "sweep"
    code, out, _ = world.run("sweep", "--account", ACCOUNT, "--json")  # nothing new since the checkpoint
    (report,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and report == {
        "account_id": ACCOUNT, "outcome": "swept", "since_id": "2090000000000000501", "posts_read": 0, "reposts": 0,
        "enqueued": 0, "already_inspected": 0, "held_back": 0, "failure": None, "error": None,
    }  # fmt: skip


def test_an_account_without_credentials_fails_with_the_configuration_code(world: World) -> None:
    code, out, err = world.run("sweep", "--json")
    reports = {r["account_id"]: r for r in map(json.loads, out.splitlines())}
    assert (reports[ACCOUNT]["outcome"], reports[UNSET]["failure"]) == ("swept", "credentials")
    assert code == 3 and err.count("\n") == 1
    assert f"the sweep of 1 of 2 accounts failed; {UNSET}: secret c/x-account/{UNSET}" in err


@pytest.mark.parametrize(("status", "code"), [(401, 7), (402, 7), (503, 4)])
def test_x_refusing_or_failing_has_its_own_code(world: World, status: int, code: int) -> None:
    world.x.fail_next(status)
    ran, _, err = world.run("sweep", "--account", ACCOUNT)
    assert ran == code and f"HTTP {status}" in err


def test_an_account_that_is_not_in_the_table_or_not_an_id_is_refused(world: World) -> None:
    assert world.run("sweep", "--account", "1000000000000000999")[0] == 5
    code, _, err = world.run("sweep", "--account", "@ExampleConstab")
    assert code == 2 and "not an X account id" in err


def test_settings_missing_are_named(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INSPECTION_LEDGER_TABLE")
    code, _, err = world.run("sweep")
    assert code == 3 and "INSPECTION_LEDGER_TABLE" in err
