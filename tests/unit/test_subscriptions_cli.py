"""`takedown webhook`, `accounts subscribe|unsubscribe|subscriptions` and `replay`, run as an operator
would: credentials in (moto's) Secrets Manager, X the stand-in, the webhook a loopback server that
answers X's CRC; each outcome's exit code and one-line message."""

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
from tests.conftest import ROOT
from tests.x_webhook_support import FakeWebhook

CONSUMER = {"consumer_key": "clitestconsumerkey", "consumer_secret": "cli-test-consumer-secret"}
ACCOUNT = "1000000000000000001"
TOKEN = {"access_token": f"{ACCOUNT}-0a1b2c3d4e5f6a7b", "access_token_secret": "cli-test-token-secret"}
APP_BEARER = "cli-test-app-bearer-token"
SECRETS = (CONSUMER["consumer_secret"], TOKEN["access_token_secret"], APP_BEARER)


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


@dataclass
class World:
    x: XStandIn
    webhook: FakeWebhook
    capsys: pytest.CaptureFixture[str]

    def run(self, *argv: str) -> Ran:
        self.capsys.readouterr()
        code = main(list(argv))
        captured = self.capsys.readouterr()
        for text in (captured.out, captured.err):
            assert not any(secret in text for secret in SECRETS)
        return Ran(code, captured.out, captured.err)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[World]:
    with (
        mock_aws(),
        XStandIn(
            CONSUMER["consumer_key"],
            CONSUMER["consumer_secret"],
            {TOKEN["access_token"]: TOKEN["access_token_secret"]},
            app_bearer_token=APP_BEARER,
        ) as x,
        FakeWebhook(CONSUMER["consumer_secret"]) as webhook,
    ):
        secrets = boto3.client("secretsmanager")
        for name, value in {
            "t/x-consumer": CONSUMER,
            "t/x-app": {"bearer_token": APP_BEARER},
            f"t/x-account/{ACCOUNT}": TOKEN,
        }.items():
            secrets.create_secret(Name=name, SecretString=json.dumps(value))
        for name, value in {
            "X_APP_SECRET_ID": "t/x-app",
            "X_CONSUMER_SECRET_ID": "t/x-consumer",
            "X_ACCOUNT_SECRET_PREFIX": "t/x-account/",
            "X_API_BASE_URL": x.url,
        }.items():
            monkeypatch.setenv(name, value)
        for name in ("X_WEBHOOK_ID", "ACCOUNTS_TABLE"):
            monkeypatch.delenv(name, raising=False)
        yield World(x, webhook, capsys)


def registered(world: World) -> str:
    ran = world.run("webhook", "register", world.webhook.address, "--json")
    assert ran.code == 0, ran.err
    return str(ran.json_lines()[0]["id"])


# --- webhook ---


def test_register_list_validate_and_delete(world: World) -> None:
    ran = world.run("webhook", "register", world.webhook.address)
    assert ran.code == 0 and "CRC check passed" in ran.out and "takedown accounts subscribe" in ran.out
    listed = world.run("webhook", "list", "--json").json_lines()
    assert [(hook["url"], hook["valid"]) for hook in listed] == [(world.webhook.address, True)]
    assert world.webhook.crc_checks == [True]

    assert world.run("webhook", "validate").code == 0
    assert world.webhook.crc_checks == [True, True]
    assert world.run("webhook", "list").out.count(world.webhook.address) == 1

    ran = world.run("webhook", "delete", listed[0]["id"], "--yes")
    assert ran.code == 0 and "delivers nothing" in ran.out
    assert "no webhook is registered" in world.run("webhook", "list").out


def test_register_twice_is_a_conflict(world: World) -> None:
    registered(world)
    ran = world.run("webhook", "register", world.webhook.address)
    assert ran.code == 6
    assert ran.err.startswith("takedown webhook: ") and "DuplicateUrlFailed" in ran.err
    assert ran.err.count("\n") == 1


def test_a_webhook_that_fails_the_crc_is_refused_by_x(world: World) -> None:
    world.webhook.crc = "wrong"
    ran = world.run("webhook", "register", world.webhook.address)
    assert ran.code == 7 and "CRC check" in ran.err and ran.err.count("\n") == 1


def test_revalidating_a_failing_webhook_says_so(world: World) -> None:
    registered(world)
    world.webhook.crc = "broken"
    ran = world.run("webhook", "validate")
    assert ran.code == 7 and "CrcValidationFailed" in ran.err
    assert "CRC failed" in world.run("webhook", "list").out


def test_delete_needs_yes_and_an_unknown_webhook_is_not_found(world: World) -> None:
    webhook_id = registered(world)
    ran = world.run("webhook", "delete", webhook_id)
    assert ran.code == 2 and "--yes" in ran.err
    assert world.run("webhook", "list", "--json").json_lines()  # still there
    ran = world.run("webhook", "delete", "1234567890123456789", "--yes")
    assert ran.code == 5 and "WebhookIdInvalid" in ran.err
    assert world.run("webhook", "delete", "not-an-id", "--yes").code == 2


# --- settings, credentials and X's state ---


def test_without_the_app_secret_setting_it_is_a_configuration_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("X_APP_SECRET_ID")
    ran = world.run("webhook", "list")
    assert ran.code == 3 and "X_APP_SECRET_ID" in ran.err


def test_an_app_secret_without_a_bearer_token_is_a_configuration_error(world: World) -> None:
    boto3.client("secretsmanager").put_secret_value(SecretId="t/x-app", SecretString=json.dumps({"token": "x"}))
    ran = world.run("webhook", "list")
    assert ran.code == 3 and "bearer_token" in ran.err


def test_a_missing_app_secret_is_a_configuration_error(world: World) -> None:
    boto3.client("secretsmanager").delete_secret(SecretId="t/x-app", ForceDeleteWithoutRecovery=True)
    ran = world.run("webhook", "list")
    assert ran.code == 3 and "t/x-app" in ran.err


def test_a_wrong_bearer_token_is_refused_by_x(world: World) -> None:
    boto3.client("secretsmanager").put_secret_value(
        SecretId="t/x-app", SecretString=json.dumps({"bearer_token": "stale"})
    )
    ran = world.run("webhook", "list")
    assert ran.code == 7 and "not authenticated" in ran.err and "stale" not in ran.err


def test_x_failing_is_unreachable(world: World) -> None:
    world.x.fail_next(503)
    ran = world.run("webhook", "list")
    assert ran.code == 4 and "503" in ran.err


def test_x_rate_limited_says_when(world: World) -> None:
    world.x.fail_next(429, reset_in=120)
    ran = world.run("webhook", "list")
    assert ran.code == 7 and "try again after" in ran.err


def test_commands_need_a_registered_webhook(world: World) -> None:
    ran = world.run("accounts", "subscribe", ACCOUNT, "--api", "xaa")
    assert ran.code == 5 and "takedown webhook register" in ran.err


# --- accounts ---


def test_aaa_subscribe_list_unsubscribe(world: World) -> None:
    webhook_id = registered(world)
    ran = world.run("accounts", "subscribe", ACCOUNT, "--api", "aaa")
    assert ran.code == 0 and f"subscribed account {ACCOUNT} to webhook {webhook_id}" in ran.out

    listed = world.run("accounts", "subscriptions", "--json").json_lines()
    assert [(sub["account_id"], sub["api"], sub["event_type"]) for sub in listed] == [(ACCOUNT, "aaa", "all")]

    again = world.run("accounts", "subscribe", ACCOUNT, "--api", "aaa")
    assert again.code == 6 and "DuplicateSubscriptionFailed" in again.err

    assert world.run("accounts", "unsubscribe", ACCOUNT, "--api", "aaa").code == 0
    assert "no account is subscribed" in world.run("accounts", "subscriptions").out
    gone = world.run("accounts", "unsubscribe", ACCOUNT, "--api", "aaa")
    assert gone.code == 5 and "SubscriptionNotFound" in gone.err


def test_xaa_subscribe_makes_one_per_event_type(world: World) -> None:
    webhook_id = registered(world)
    created = world.run("accounts", "subscribe", ACCOUNT, "--api", "xaa", "--webhook-id", webhook_id, "--json")
    assert created.code == 0
    assert sorted(sub["event_type"] for sub in created.json_lines()) == ["post.quote.create", "post.repost.create"]
    table = world.run("accounts", "subscriptions", "--api", "xaa").out
    assert "post.repost.create" in table and ACCOUNT in table
    assert world.run("accounts", "subscribe", ACCOUNT, "--api", "xaa").code == 6
    removed = world.run("accounts", "unsubscribe", ACCOUNT, "--api", "xaa", "--json")
    assert removed.code == 0 and len(removed.json_lines()) == 2


def test_an_account_without_credentials_cannot_be_subscribed_to_aaa(world: World) -> None:
    registered(world)
    ran = world.run("accounts", "subscribe", "1000000000000000009", "--api", "aaa")
    assert ran.code == 3 and "t/x-account/1000000000000000009" in ran.err


def test_revoked_account_tokens_are_refused_by_x(world: World) -> None:
    registered(world)
    world.x.revoke(TOKEN["access_token"])
    ran = world.run("accounts", "subscribe", ACCOUNT, "--api", "aaa")
    assert ran.code == 7 and "account's tokens" in ran.err


@pytest.mark.parametrize("bad", ["ExampleConstab", "12x", "1" * 20])
def test_an_account_is_named_by_its_numeric_id(world: World, bad: str) -> None:
    ran = world.run("accounts", "subscribe", bad, "--api", "xaa")
    assert ran.code == 2 and "numeric id" in ran.err
    assert world.x.calls == []


def test_or_by_its_handle_from_the_accounts_table(world: World) -> None:
    dynamodb = boto3.client("dynamodb")
    table = create_tables(dynamodb, ROOT / "template.yaml", prefix="s-")["AccountsTable"]
    PolicyStore(dynamodb, table).put_policy(AccountPolicy(account_id=ACCOUNT, handle="ExampleConstab"))
    registered(world)
    assert world.run("accounts", "subscribe", "@ExampleConstab", "--api", "aaa").code == 3  # which table?
    ran = world.run("accounts", "--table", table, "subscribe", "@ExampleConstab", "--api", "aaa", "--json")
    assert ran.code == 0 and ran.json_lines()[0]["account_id"] == ACCOUNT
    unknown = world.run("accounts", "--table", table, "unsubscribe", "@nobody", "--api", "aaa")
    assert unknown.code == 5


def test_the_api_must_be_one_of_the_two(world: World) -> None:
    assert world.run("accounts", "subscribe", ACCOUNT, "--api", "v1").code == 2
    assert world.run("accounts", "subscribe", ACCOUNT).code == 2


# --- replay ---


def test_replay_inside_24_hours_starts_a_job(world: World) -> None:
    registered(world)
    ran = world.run("replay", "--from", "2h", "--json")
    assert ran.code == 0, ran.err
    job = ran.json_lines()[0]
    assert job["job_id"].isdigit()
    start, end = datetime.fromisoformat(job["from"]), datetime.fromisoformat(job["to"])
    assert timedelta(minutes=119) <= end - start <= timedelta(minutes=121)
    assert world.x.deliveries.replays_finished()
    human = world.run("replay", "--from", (datetime.now(UTC) - timedelta(hours=1)).isoformat(), "--to", "now")
    assert human.code == 0 and "replay job" in human.out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("--from", "25h"), "more than 24 hours ago"),
        (("--from", "2026-01-01T00:00Z"), "more than 24 hours ago"),
        (("--from", "1h", "--to", "2h"), "after its end"),
        (("--from", "1h", "--to", "2999-01-01T00:00Z"), "in the future"),
        (("--from", "yesterday"), "is not a time"),
        (("--from", "2026-12-01T09:30"), "no time zone"),
    ],
)
def test_a_replay_window_x_would_refuse_is_refused_before_calling_x(
    world: World, argv: tuple[str, ...], says: str
) -> None:
    ran = world.run("replay", *argv)
    assert ran.code == 2 and says in ran.err and ran.err.startswith("takedown replay: ")
    assert world.x.calls == []


def test_a_second_replay_while_one_runs_is_a_conflict(world: World) -> None:
    webhook_id = registered(world)
    world.run("accounts", "subscribe", ACCOUNT, "--api", "aaa")
    envelope = {"for_user_id": ACCOUNT, "tweet_create_events": []}
    world.x.deliveries.record_activity(envelope, delivered=False)
    world.webhook.delivery_delay = 1.0
    assert world.run("replay", "--from", "30m", "--webhook-id", webhook_id).code == 0
    ran = world.run("replay", "--from", "30m", "--webhook-id", webhook_id)
    assert ran.code == 6 and "ReplayConflictError" in ran.err
    assert world.x.deliveries.replays_finished()
