"""The inspector's decisions on moto's DynamoDB, with an in-memory fake of X."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from takedown.incidents.model import IncidentStatus
from takedown.incidents.store import IncidentStore
from takedown.inspection import Inspector, RetryLaterError, retry_delay_seconds
from takedown.policy import AccountPolicy, PolicyStore
from takedown.signatures import SignatureEngine
from takedown.webhook import read_delivery
from takedown.x_api import XAuthError, XRateLimitedError, XUnavailableError
from takedown_local.template import create_tables
from tests.conftest import EVENTS, ROOT

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ACCOUNT = "1000000000000000001"


class FakeX:
    """Records undo calls; raises the scripted errors first."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.errors: list[Exception] = []

    def unretweet(self, account_id: str, source_post_id: str) -> None:
        self._call("unretweet", source_post_id)

    def delete_post(self, post_id: str) -> None:
        self._call("delete_post", post_id)

    def _call(self, action: str, post_id: str) -> None:
        self.calls.append((action, post_id))
        if self.errors:
            raise self.errors.pop(0)


class Metrics:
    def __init__(self) -> None:
        self.events: list[str] = []

    def incident_detected(self, category: str) -> None:
        self.events.append(f"detected:{category}")

    def undone(self, time_to_takedown_ms: int) -> None:
        self.events.append("undone")

    def undo_failed(self) -> None:
        self.events.append("undo_failed")


@pytest.fixture
def world() -> Iterator[dict[str, Any]]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        tables = create_tables(dynamodb, ROOT / "template.yaml", prefix="i-")
        policies = PolicyStore(dynamodb, tables["AccountsTable"], max_age_seconds=0)
        policies.put_policy(AccountPolicy(account_id=ACCOUNT, mode="enforce"))
        incidents = IncidentStore(dynamodb, tables["IncidentsTable"], clock=lambda: NOW)
        x, metrics = FakeX(), Metrics()
        inspector = Inspector(SignatureEngine.load_default(), policies, incidents, lambda _: x, metrics, lambda: NOW)
        yield {"inspector": inspector, "x": x, "policies": policies, "incidents": incidents, "metrics": metrics}


def _candidate(event_file: str = "webhook_aaa_retweet_illegal_stream.json"):  # noqa: ANN202
    body = json.loads((EVENTS / event_file).read_text())["body"]
    (candidate,) = read_delivery(body, NOW - timedelta(seconds=1)).candidates
    return candidate


def test_bad_retweet_is_written_first_then_undone_by_its_original_id(world: dict) -> None:
    result = world["inspector"].inspect(_candidate())
    assert result.outcome == "undone"
    assert world["x"].calls == [("unretweet", "924390001122334455")]
    incident = world["incidents"].get(result.incident.incident_id)
    assert [c.status for c in incident.history] == [IncidentStatus.DETECTED, IncidentStatus.UNDONE]
    assert incident.contributions[0].rule == "stream.site.name"
    assert world["metrics"].events == ["detected:illegal_stream", "undone"]


def test_bad_quote_is_deleted(world: dict) -> None:
    result = world["inspector"].inspect(_candidate("webhook_aaa_quote_adult.json"))
    assert (result.outcome, world["x"].calls) == ("undone", [("delete_post", "930381800000000456")])


def test_redelivery_gives_one_incident_and_one_undo(world: dict) -> None:
    first = world["inspector"].inspect(_candidate())
    again = world["inspector"].inspect(_candidate())
    assert (first.outcome, again.outcome) == ("undone", "duplicate")
    assert len(world["x"].calls) == 1


@pytest.mark.parametrize("kill_switch", [False, True])
def test_monitor_mode_and_the_kill_switch_never_undo(world: dict, kill_switch: bool) -> None:
    if kill_switch:
        world["policies"].set_kill_switch(True)
    else:
        world["policies"].put_policy(AccountPolicy(account_id=ACCOUNT, mode="monitor"))
    result = world["inspector"].inspect(_candidate())
    assert (result.outcome, result.incident.status, world["x"].calls) == ("monitored", IncidentStatus.MONITORED, [])


def test_an_unconfigured_account_is_never_undone(world: dict) -> None:
    candidate = _candidate().model_copy(update={"account_id": "42", "author_id": "42"})
    assert world["inspector"].inspect(candidate).outcome == "monitored"
    assert world["x"].calls == []


def test_trusted_author_is_left_alone(world: dict) -> None:
    world["policies"].put_policy(
        AccountPolicy(account_id=ACCOUNT, mode="enforce", trusted_author_ids=frozenset({"1000000000000000777"}))
    )
    assert world["inspector"].inspect(_candidate()).outcome == "clean"


def test_rate_limit_waits_until_the_reset(world: dict) -> None:
    world["x"].errors.append(XRateLimitedError("429", reset_at=NOW + timedelta(seconds=90), retry_after_seconds=90))
    with pytest.raises(RetryLaterError) as retry:
        world["inspector"].inspect(_candidate())
    assert retry.value.delay_seconds == 91
    assert world["inspector"].inspect(_candidate()).outcome == "undone"  # the message comes back
    assert len(world["x"].calls) == 2


def test_x_unavailable_is_retried_then_recorded_as_failed_on_the_last_attempt(world: dict) -> None:
    world["x"].errors.extend([XUnavailableError("503"), XUnavailableError("503")])
    with pytest.raises(RetryLaterError):
        world["inspector"].inspect(_candidate())
    with pytest.raises(RetryLaterError):
        world["inspector"].inspect(_candidate(), final_attempt=True)
    incident = world["incidents"].get(f"{ACCOUNT}-924390555566667777")
    assert (incident.status, incident.undo_attempts, incident.last_error_permanent) == (
        IncidentStatus.UNDO_FAILED, 2, False,
    )  # fmt: skip


def test_auth_failure_is_final_with_no_retry_storm(world: dict) -> None:
    world["x"].errors.append(XAuthError("401", status=401))
    assert world["inspector"].inspect(_candidate()).outcome == "undo_failed"
    assert world["inspector"].inspect(_candidate()).outcome == "duplicate"
    assert len(world["x"].calls) == 1
    assert "undo_failed" in world["metrics"].events


def test_someone_elses_retweet_is_ignored(world: dict) -> None:
    body = json.loads((EVENTS / "webhook_aaa_retweet_by_someone_else.json").read_text())["body"]
    (post,) = read_delivery(body, NOW).posts
    assert world["inspector"].inspect(post).outcome == "ignored"


def test_backoff_grows_and_is_capped() -> None:
    assert [retry_delay_seconds(n, 5) for n in (1, 2, 3, 10)] == [5, 10, 20, 900]
