"""What the `takedown` command tests run against: moto's DynamoDB and Secrets Manager with the
template's own tables, the X stand-in on loopback, and `main` run as a user would (argv in, exit
code, stdout and stderr out)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from takedown.console.accounts import AccountAdmin
from takedown.incidents.model import Incident, IncidentStatus, Resolution
from takedown.incidents.store import IncidentStore
from takedown.judgement.verdict import Contribution
from takedown.policy import AccountPolicy, PolicyStore
from takedown_cli.main import main
from takedown_local.standins.x_standin import XStandIn
from takedown_local.template import create_tables
from tests.conftest import ROOT

ACCOUNT = "1000000000000000001"
OTHER_ACCOUNT = "1000000000000000002"
CONSUMER = {"consumer_key": "clitestconsumerkey", "consumer_secret": "cli-test-consumer-secret"}
TOKEN = {"access_token": f"{ACCOUNT}-0a1b2c3d4e5f6a7b", "access_token_secret": "cli-test-token-secret"}
SECRET_PREFIX = "takedown-test/x-account/"


def source_of(post_id: str) -> str:
    """The original post a test repost (19xxx...) retweeted (18xxx...)."""
    return "18" + post_id[2:]


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


@dataclass
class World:
    store: IncidentStore
    policies: PolicyStore
    admin: AccountAdmin
    incidents_table: str
    accounts_table: str
    x: XStandIn
    secrets: object
    capsys: pytest.CaptureFixture[str]

    def run(self, *argv: str) -> Ran:
        self.capsys.readouterr()
        code = main(list(argv))
        captured = self.capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    def incident(
        self,
        post_id: str,
        status: IncidentStatus = IncidentStatus.UNDONE,
        account: str = ACCOUNT,
        detected: datetime | None = None,
        kind: str = "retweet",
    ) -> Incident:
        detected = detected or datetime.now(UTC) - timedelta(minutes=5)
        created, _ = self.store.create(
            Incident(
                incident_id=Incident.id_for(account, post_id),
                account_id=account,
                account_handle="SussexPolice" if account == ACCOUNT else "KentPolice",
                post_id=post_id,
                kind=kind,  # type: ignore[arg-type]
                source_post_id=source_of(post_id),
                source_post_url=f"https://x.com/streamer/status/{source_of(post_id)}",
                source_author_id="783214",
                source_author_handle="streamer",
                category="illegal_stream",
                score=0.97,
                contributions=[Contribution(rule="stream.site.name", version="abc123", evidence="crackstreams")],
                judgement_versions={"rules": "r1", "model": "m1"},
                text_excerpt="watch the fight live",
                received_at=detected,
                detected_at=detected,
            )
        )
        later = detected + timedelta(seconds=3)
        if status is IncidentStatus.UNDONE:
            return self.store.record_undone(created.incident_id, later, 3_000)
        if status is IncidentStatus.UNDO_FAILED:
            return self.store.record_undo_failed(created.incident_id, later, "X answered 401", permanent=True)
        if status is IncidentStatus.MONITORED:
            return self.store.record_monitored(created.incident_id, later, "account in monitor mode")
        if status is IncidentStatus.RESOLVED:
            undone = self.store.record_undone(created.incident_id, later, 3_000)
            return self.store.resolve(undone.incident_id, Resolution.CONFIRMED, "ops", later)
        return created


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[World]:
    for name in ("INCIDENTS_TABLE", "ACCOUNTS_TABLE", "X_CONSUMER_SECRET_ID", "X_ACCOUNT_SECRET_PREFIX", "TIME_ZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    with mock_aws(), XStandIn(CONSUMER["consumer_key"], CONSUMER["consumer_secret"], {
        TOKEN["access_token"]: TOKEN["access_token_secret"]
    }) as x:  # fmt: skip
        dynamodb = boto3.client("dynamodb")
        tables = create_tables(dynamodb, ROOT / "template.yaml", prefix="cli-")
        secrets = boto3.client("secretsmanager")
        secrets.create_secret(Name="takedown-test/x-consumer", SecretString=json.dumps(CONSUMER))
        secrets.create_secret(Name=f"{SECRET_PREFIX}{ACCOUNT}", SecretString=json.dumps(TOKEN))
        policies = PolicyStore(dynamodb, tables["AccountsTable"], max_age_seconds=0)
        policies.put_policy(AccountPolicy(account_id=ACCOUNT, handle="SussexPolice", name="Sussex Police"))
        policies.put_policy(AccountPolicy(account_id=OTHER_ACCOUNT, handle="KentPolice", mode="enforce"))
        monkeypatch.setenv("INCIDENTS_TABLE", tables["IncidentsTable"])
        monkeypatch.setenv("ACCOUNTS_TABLE", tables["AccountsTable"])
        monkeypatch.setenv("X_CONSUMER_SECRET_ID", "takedown-test/x-consumer")
        monkeypatch.setenv("X_ACCOUNT_SECRET_PREFIX", SECRET_PREFIX)
        monkeypatch.setenv("X_API_BASE_URL", x.url)
        yield World(
            store=IncidentStore(dynamodb, tables["IncidentsTable"]),
            policies=policies,
            admin=AccountAdmin(dynamodb, tables["AccountsTable"]),
            incidents_table=tables["IncidentsTable"],
            accounts_table=tables["AccountsTable"],
            x=x,
            secrets=secrets,
            capsys=capsys,
        )
